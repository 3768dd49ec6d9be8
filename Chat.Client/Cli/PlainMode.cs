using Chat.Client.Session;

namespace Chat.Client.Cli;

/// <summary>
/// One line in, lines out: the same commands as the full-screen view, for screen readers, pipes and tests. Ends on
/// <c>/quit</c>, at the end of input (after every message in flight is answered), or when the session ends.
/// </summary>
internal static class PlainMode
{
    public static async Task<int> RunAsync(ChatSession session, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        var gate = new Lock();
        session.View.Printed += line =>
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        };
        await session.StartAsync(cancellationToken);

        var ended = session.Ended;
        while (true)
        {
            // On a thread of its own: Console.In reads synchronously even through ReadLineAsync, and /quit or the end
            // of the session must not wait for the next line.
            var read = Task.Run(input.ReadLine, cancellationToken);
            if (await Task.WhenAny(read, ended) == ended)
            {
                break;
            }

            if (await read is not { } line)
            {
                await Task.WhenAny(session.DrainAsync(), ended);
                break;
            }

            await session.HandleLineAsync(line);
        }

        return session.StopReason is null ? ExitCodes.Ok : ExitCodes.Unauthenticated;
    }
}
