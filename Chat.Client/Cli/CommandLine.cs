using System.CommandLine;
using Chat.Client.Config;
using Chat.Client.Session;
using Chat.Client.Views;

namespace Chat.Client.Cli;

/// <summary>The <c>chat</c> command line.</summary>
internal static class CommandLine
{
    public static RootCommand Build()
    {
        var server = new Option<string?>("--server") { Description = "the server's URL; else CHAT_SERVER, else http://127.0.0.1:5000", Recursive = true };
        var profile = new Option<string?>("--profile") { Description = "which saved session to use (one per user); else CHAT_PROFILE, else 'default'", Recursive = true };
        var codec = new Option<string>("--codec") { Description = "how frames go over the socket: json (text) or msgpack (binary, chat.v1.msgpack)", DefaultValueFactory = _ => "json", Recursive = true };
        codec.AcceptOnlyFromAmong("json", "msgpack");
        var plain = new Option<bool>("--plain") { Description = "line mode: one line in, lines out (automatic when stdin or stdout is not a terminal)" };
        var user = new Option<string>("--user", "-u") { Description = "the user name", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "read the password from the first line of standard input" };
        var room = new Option<string>("--room", "-r") { Description = "the room (joined first when needed)", Required = true };
        var json = new Option<bool>("--json") { Description = "one JSON object per message" };
        var fromSeq = new Option<long?>("--from-seq") { Description = "first print the stored messages from this seq on" };
        var limit = new Option<int>("--limit", "-n") { Description = "how many messages", DefaultValueFactory = _ => 20 };
        var text = new Argument<string>("text") { Description = "the message; '-' sends each line of standard input" };

        var root = new RootCommand("A chat client: full-screen by default, line mode with --plain, and commands for scripts.\n" + ExitCodes.Description)
        {
            server, profile, codec, plain,
        };
        root.SetAction((parse, token) => Connect.RunAsync(() => RunChatAsync(Settings(parse), parse.GetValue(plain), token)));

        var register = new Command("register", "create a user and log in as it") { user, passwordStdin };
        register.SetAction((parse, token) => Connect.RunAsync(() =>
            AccountCommands.RegisterAsync(Settings(parse), parse.GetValue(user)!, parse.GetValue(passwordStdin), token)));

        var login = new Command("login", "log in and save the session for this profile (mode 0600)") { user, passwordStdin };
        login.SetAction((parse, token) => Connect.RunAsync(() =>
            AccountCommands.LoginAsync(Settings(parse), parse.GetValue(user)!, parse.GetValue(passwordStdin), token)));

        var logout = new Command("logout", "revoke the saved session and delete it");
        logout.SetAction((parse, token) => Connect.RunAsync(() => AccountCommands.LogoutAsync(Settings(parse), token)));

        var send = new Command("send", "send a message (or each line of stdin with '-'); prints the seq of each; exit 0 when all were stored") { room, text };
        send.SetAction((parse, token) => Connect.RunAsync(() =>
            ScriptCommands.SendAsync(Settings(parse), parse.GetValue(room)!, parse.GetValue(text)!, token)));

        var tail = new Command("tail", "print a room's new messages as they arrive, until interrupted") { room, fromSeq, json };
        tail.SetAction((parse, token) => Connect.RunAsync(() =>
            ScriptCommands.TailAsync(Settings(parse), parse.GetValue(room)!, parse.GetValue(fromSeq), parse.GetValue(json), token)));

        var history = new Command("history", "print a room's latest messages, oldest first") { room, limit, json };
        history.SetAction((parse, token) => Connect.RunAsync(() =>
            ScriptCommands.HistoryAsync(Settings(parse), parse.GetValue(room)!, parse.GetValue(limit), parse.GetValue(json), token)));

        root.Subcommands.Add(register);
        root.Subcommands.Add(login);
        root.Subcommands.Add(logout);
        root.Subcommands.Add(send);
        root.Subcommands.Add(tail);
        root.Subcommands.Add(history);
        return root;

        ClientSettings Settings(ParseResult parse) => ClientSettings.Resolve(parse.GetValue(server), parse.GetValue(profile)) with
        {
            Codec = Chat.Protocol.Frames.WireCodecs.OfName(parse.GetValue(codec)!) ?? Chat.Protocol.Frames.WireCodec.Json,
        };
    }

    private static async Task<int> RunChatAsync(ClientSettings settings, bool plain, CancellationToken cancellationToken)
    {
        var client = Connect.NewClient(settings);
        client.UseToken(Connect.SessionToken(settings));
        var view = new ChatViewModel(settings.Server.Authority);
        await using var session = new ChatSession(client, view);
        if (plain || Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            return await PlainMode.RunAsync(session, Console.In, Console.Out, cancellationToken);
        }

        return await ChatScreen.RunAsync(session, cancellationToken);
    }
}
