using System.Text.Json;

namespace Chat.Bench.Senders;

/// <summary>
/// The sum of the <c>timings</c> objects that answers carry when the server runs with <c>Chat:Timings=true</c>: where
/// the server's time per write goes (queued, revalidate, apply, commit, fan-out). Summed only while
/// <see cref="Recording"/>, i.e. inside the measured window.
/// </summary>
internal sealed class ServerTimings
{
    private static readonly string[] Names = ["queuedUs", "revalidateUs", "applyUs", "commitUs", "fanoutUs", "totalUs", "batchSize"];
    private readonly long[] _sums = new long[Names.Length];
    private long _count;

    public volatile bool Recording;

    /// <summary>Reads one <c>timings</c> object; the reader is on its StartObject and is left on its EndObject.</summary>
    public void Add(ref Utf8JsonReader reader)
    {
        var record = Recording;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = Array.IndexOf(Names, reader.GetString());
            reader.Read();
            if (record && index >= 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            {
                Interlocked.Add(ref _sums[index], value);
            }
            else
            {
                reader.Skip();
            }
        }

        if (record)
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>The mean of each timing over the answers that carried one (<c>serverTimingCommitUs</c>, …); nothing when none did.</summary>
    public void WriteTo(IDictionary<string, double> metrics)
    {
        var count = Interlocked.Read(ref _count);
        if (count == 0)
        {
            return;
        }

        metrics["serverTimingAnswers"] = count;
        for (var i = 0; i < Names.Length; i++)
        {
            var name = Names[i].Replace("Us", "", StringComparison.Ordinal);
            metrics[$"serverTiming{char.ToUpperInvariant(name[0])}{name[1..]}{(Names[i].EndsWith("Us", StringComparison.Ordinal) ? "Us" : "")}"] =
                (double)Interlocked.Read(ref _sums[i]) / count;
        }
    }
}
