using System.Text;

namespace Chat.Client.Config;

/// <summary>Reads a password without echoing it, or one line from standard input for scripts.</summary>
internal static class PasswordReader
{
    public static string Read(bool fromStdin)
    {
        if (fromStdin)
        {
            return Console.In.ReadLine() is { Length: > 0 } line
                ? line.TrimEnd('\r')
                : throw new UsageException("--password-stdin: standard input had no password line");
        }

        if (Console.IsInputRedirected)
        {
            throw new UsageException("standard input is not a terminal: pass the password with --password-stdin");
        }

        Console.Error.Write("Password: ");
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
            }
            else if (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key == ConsoleKey.C)
            {
                throw new OperationCanceledException();
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }
}
