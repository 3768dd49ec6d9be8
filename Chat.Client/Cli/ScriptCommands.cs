using System.Globalization;
using System.Text.Json;
using Chat.Client.Config;
using Chat.Protocol;
using Chat.Sdk;
using Chat.Protocol.Frames;

namespace Chat.Client.Cli;

/// <summary><c>send</c>, <c>tail</c> and <c>history</c>: one room, lines out, an exit code for shells. Each joins the room first.</summary>
internal static class ScriptCommands
{
    /// <summary>Sends one message, or each non-empty line of standard input for <c>-</c>. Exit 0 when every one was acked.</summary>
    public static async Task<int> SendAsync(ClientSettings settings, string room, string text, CancellationToken cancellationToken)
    {
        await using var client = await Connect.ConnectedAsync(settings, cancellationToken);
        await client.JoinAsync(room, cancellationToken);
        if (text != "-")
        {
            var sent = await client.SendAsync(room, text, cancellationToken);
            Console.Out.WriteLine(sent.Seq.ToString(CultureInfo.InvariantCulture));
            return ExitCodes.Ok;
        }

        // One at a time, each line as it arrives: a pipe from a running program streams, and messages keep the order
        // of the lines even when the server's rate limit makes the client retry one.
        var status = ExitCodes.Ok;
        while (await Console.In.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                Console.Out.WriteLine((await client.SendAsync(room, line, cancellationToken)).Seq.ToString(CultureInfo.InvariantCulture));
            }
            catch (ChatException ex) when (ex is not SessionEndedException)
            {
                status = Connect.Fail(ExitCodes.Refused, $"{ex.Code}: {ex.Message}");
            }
        }

        return status;
    }

    /// <summary>Prints the messages from <paramref name="fromSeq"/> (when given), then every new one until interrupted.</summary>
    public static async Task<int> TailAsync(ClientSettings settings, string room, long? fromSeq, bool json, CancellationToken cancellationToken)
    {
        await using var client = await Connect.ConnectedAsync(settings, cancellationToken);
        var lastSeq = await client.JoinAsync(room, cancellationToken);
        if (fromSeq is { } from)
        {
            var after = Math.Max(0, from - 1);
            while (after < lastSeq)
            {
                var page = await client.SyncAsync(room, after, cancellationToken: cancellationToken);
                foreach (var message in page.Messages.Where(m => m.Seq <= lastSeq))
                {
                    Print(message, json);
                }

                if (page.Messages.Count == 0)
                {
                    break;
                }

                after = page.Messages[^1].Seq;
            }
        }

        try
        {
            await foreach (var message in client.ReadMessagesAsync(cancellationToken))
            {
                if (message.Room == room)
                {
                    Print(message, json);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }

        return ExitCodes.Ok;
    }

    /// <summary>Prints the latest <paramref name="limit"/> messages, oldest first.</summary>
    public static async Task<int> HistoryAsync(ClientSettings settings, string room, int limit, bool json, CancellationToken cancellationToken)
    {
        await using var client = await Connect.ConnectedAsync(settings, cancellationToken);
        await client.JoinAsync(room, cancellationToken);
        var messages = new List<ChatMessage>();
        long? before = null;
        while (messages.Count < limit)
        {
            var page = await client.HistoryAsync(room, before, limit - messages.Count, cancellationToken);
            messages.InsertRange(0, page.Messages);
            if (!page.HasMore || page.Messages.Count == 0)
            {
                break;
            }

            before = page.Messages[0].Seq;
        }

        foreach (var message in messages)
        {
            Print(message, json);
        }

        return ExitCodes.Ok;
    }

    private static void Print(ChatMessage message, bool json) => Console.Out.WriteLine(json
        ? JsonSerializer.Serialize(message, ChatJsonContext.Wire.ChatMessage)
        : string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.FromUnixTimeMilliseconds(message.Ts).ToLocalTime():HH:mm:ss} #{message.Seq} {message.Sender}: {message.Body}"));
}
