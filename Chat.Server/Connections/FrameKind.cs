using Chat.Protocol.Frames;

namespace Chat.Server.Connections;

/// <summary>The <c>type</c> of a frame, as a metrics tag: a fixed, small set of values.</summary>
internal static class FrameKind
{
    public const string Ack = "ack";
    public const string Message = "message";
    public const string Invalid = "invalid";

    public static string Of(ServerFrame frame) => frame switch
    {
        AckFrame => Ack,
        NackFrame => "nack",
        MessageFrame => Message,
        WelcomeFrame => "welcome",
        SessionEndedFrame => "sessionEnded",
        PresenceFrame => "presence",
        UserTypingFrame => "typing",
        ReadMarkerFrame => "readMarker",
        _ => "other",
    };

    public static string Of(ClientFrame frame) => frame switch
    {
        SendFrame => "send",
        JoinFrame => "join",
        LeaveFrame => "leave",
        HistoryFrame => "history",
        SyncFrame => "sync",
        PingFrame => "ping",
        ReadFrame => "read",
        TypingFrame => "typing",
        WhoFrame => "who",
        RoomsFrame => "rooms",
        _ => "other",
    };
}
