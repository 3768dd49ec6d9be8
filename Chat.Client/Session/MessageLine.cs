using System.Globalization;
using Chat.Protocol.Frames;

namespace Chat.Client.Session;

/// <summary>Where one of the user's own messages stands.</summary>
internal enum SendState
{
    /// <summary>Not a message of this client's, or one it did not send in this run.</summary>
    None,

    /// <summary>Sent, no answer yet.</summary>
    Pending,

    /// <summary>Stored by the server: <see cref="MessageLine.Seq"/> is set.</summary>
    Acked,

    /// <summary>Refused or timed out: <see cref="MessageLine.Error"/> says why.</summary>
    Failed,
}

/// <summary>One line of a room's view: a message (own or not) or a notice from the client.</summary>
internal sealed class MessageLine
{
    public required string Room { get; init; }

    public long? Seq { get; set; }

    /// <summary>The sender, or null for a notice.</summary>
    public string? Sender { get; init; }

    public required string Text { get; init; }

    public long Ts { get; set; }

    /// <summary>The message's event id, when it is a message.</summary>
    public string? EventId { get; init; }

    public SendState State { get; set; }

    /// <summary>For <see cref="SendState.Failed"/>: the code and message, and whether it will be retried.</summary>
    public string? Error { get; set; }

    public bool IsNotice => Sender is null;

    public static MessageLine From(ChatMessage message) => new()
    {
        Room = message.Room,
        Seq = message.Seq,
        Sender = message.Sender,
        Text = message.Body,
        Ts = message.Ts,
        EventId = message.Id,
    };

    /// <summary>The line as plain text; the screen, which shows one room at a time, leaves the room out.</summary>
    public string Render(bool withRoom = true)
    {
        if (IsNotice)
        {
            return "* " + Text;
        }

        var seq = Seq is { } s ? string.Create(CultureInfo.InvariantCulture, $"#{s} ") : "";
        var state = State switch
        {
            SendState.Pending => " (pending)",
            SendState.Acked => " (acked)",
            SendState.Failed => $" (failed: {Error})",
            _ => "",
        };
        return $"{(withRoom ? $"[{Room}] " : "")}{seq}{Sender}: {Text}{state}";
    }
}
