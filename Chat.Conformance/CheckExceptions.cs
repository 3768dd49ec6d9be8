namespace Chat.Conformance;

/// <summary>The server broke a rule; the message says which frame or answer did.</summary>
public sealed class CheckFailedException(string message) : Exception(message);

/// <summary>The check cannot run against this server or with these options; the message says why.</summary>
public sealed class CheckSkippedException(string message) : Exception(message);
