using Chat.Conformance.Wire;

using System.Globalization;

namespace Chat.Conformance;

/// <summary>The command line, parsed into options or an error to print (exit code 2).</summary>
internal sealed record CommandLine(ConformanceOptions? Options, string? Error, bool Help = false)
{
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        Uri? server = null;
        string? json = null, only = null;
        Uri? http2Url = null;
        var http2 = false;
        var codec = Codec.Json;
        var timeout = TimeSpan.FromSeconds(5);
        var users = new List<Account>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Count ? args[++i] : null;
            switch (arg)
            {
                case "-h" or "--help":
                    return new CommandLine(null, null, Help: true);
                case "--json":
                    json = Value();
                    if (json is null)
                    {
                        return Fail("--json needs a file name");
                    }

                    break;
                case "--codec":
                    var name = Value();
                    if (name is not ("json" or "msgpack"))
                    {
                        return Fail($"--codec must be json or msgpack, not '{name}'");
                    }

                    codec = name == "msgpack" ? Codec.MessagePack : Codec.Json;
                    break;
                case "--user":
                    var pair = Value();
                    var colon = pair?.IndexOf(':', StringComparison.Ordinal) ?? -1;
                    if (pair is null || colon <= 0 || colon == pair.Length - 1)
                    {
                        return Fail("--user needs name:password");
                    }

                    users.Add(new Account(pair[..colon], pair[(colon + 1)..]));
                    break;
                case "--only":
                    only = Value()?.TrimStart('§');
                    if (string.IsNullOrEmpty(only))
                    {
                        return Fail("--only needs a section, e.g. 5 or 5.1");
                    }

                    break;
                case "--http2":
                    http2 = true;
                    break;
                case "--http2-url":
                    if (!TryUrl(Value(), out http2Url))
                    {
                        return Fail("--http2-url needs an absolute http:// URL");
                    }

                    break;
                case "--timeout":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                    {
                        return Fail("--timeout needs a number of seconds");
                    }

                    timeout = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    if (arg.StartsWith('-') || server is not null)
                    {
                        return Fail($"unknown argument '{arg}'");
                    }

                    if (!TryUrl(arg, out server))
                    {
                        return Fail($"'{arg}' is not an absolute http:// or https:// URL");
                    }

                    break;
            }
        }

        if (server is null)
        {
            return Fail("the server URL is missing");
        }

        if (users.Count > Accounts.MaxUsers)
        {
            return Fail($"at most {Accounts.MaxUsers} --user accounts");
        }

        return new CommandLine(new ConformanceOptions
        {
            Server = server,
            JsonReport = json,
            Users = users,
            Only = only,
            Http2 = http2,
            Http2Server = http2Url,
            Timeout = timeout,
            Codec = codec,
        }, null);
    }

    private static CommandLine Fail(string error) => new(null, error);

    private static bool TryUrl(string? text, out Uri? url) =>
        Uri.TryCreate(text, UriKind.Absolute, out url) && url.Scheme is "http" or "https";
}
