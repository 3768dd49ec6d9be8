namespace Chat.Conformance.Checks;

/// <summary>Every check, in the order of docs/PROTOCOL.md's sections.</summary>
internal static class Catalog
{
    public static IReadOnlyList<Check> All { get; } =
    [
        .. HttpChecks.All,
        .. AccountChecks.All,
        .. OriginChecks.All,
        .. HttpEventChecks.All,
        .. Http2Checks.All,
        .. HandshakeChecks.All,
        .. FrameChecks.All,
        .. MessagePackChecks.All,
        .. EventIdChecks.All,
        .. EventRuleChecks.All,
        .. PagingChecks.All,
        .. ReadMarkerChecks.All,
        .. PresenceChecks.All,
        .. DeliveryChecks.All,
        .. SessionChecks.All,
        .. LimitChecks.All,
        .. IdempotencyChecks.All,
    ];
}
