namespace Chat.Server.Rooms;

/// <summary>A message as committed: what its push to each member of the room carries.</summary>
internal readonly record struct StoredMessage(string Room, long Seq, string Sender, string EventId, string Body, long Ts);
