namespace Chat.Protocol.Http;

/// <summary>Body of <c>PUT /api/rooms/{room}/read</c>: read up to <paramref name="Seq"/>.</summary>
public sealed record ReadRequest(long Seq);

/// <summary>Answer to <c>PUT /api/rooms/{room}/read</c>: the read marker as stored.</summary>
public sealed record ReadResponse(string Room, long ReadSeq);
