namespace Chat.Client.Cli;

/// <summary>What the program's exit status means; listed in <c>chat --help</c> and the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused an event (a nack); its code is on standard error.</summary>
    public const int Refused = 1;

    /// <summary>The command line or the environment is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Not logged in, or the session ended: log in again.</summary>
    public const int Unauthenticated = 3;

    /// <summary>The server could not be reached, or did not answer in time.</summary>
    public const int Unreachable = 4;

    public const string Description = "exit codes: 0 ok, 1 refused by the server (code on stderr), 2 usage, 3 not logged in or session ended, 4 server unreachable or no answer";
}
