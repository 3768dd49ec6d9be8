namespace Chat.Client.Session;

/// <summary>What the client knows of one room: its lines, how far it is read, who is online and typing.</summary>
internal sealed class RoomView(string name)
{
    public string Name { get; } = name;

    /// <summary>The room's latest seq the client knows of.</summary>
    public long LastSeq { get; set; }

    /// <summary>The user's read marker: read up to this seq.</summary>
    public long ReadSeq { get; set; }

    /// <summary>Messages by seq, then own messages not yet stored, with notices where they happened.</summary>
    public List<MessageLine> Lines { get; } = [];

    public SortedSet<string> Online { get; } = new(StringComparer.Ordinal);

    /// <summary>Who is typing, until when (Environment.TickCount64 ms).</summary>
    public Dictionary<string, long> Typing { get; } = new(StringComparer.Ordinal);

    /// <summary>The oldest seq loaded; history pages go back from it.</summary>
    public long OldestLoaded => Lines.Where(l => l.Seq is not null).Select(l => l.Seq!.Value).DefaultIfEmpty(LastSeq + 1).Min();

    public int Unread => (int)Math.Max(0, LastSeq - ReadSeq);
}
