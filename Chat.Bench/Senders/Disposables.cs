namespace Chat.Bench.Senders;

/// <summary>Disposes several at the end of a scope.</summary>
internal sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items)
        {
            item.Dispose();
        }
    }
}
