namespace Chat.Tests.Support;

/// <summary>Waits for what the server does a moment later, by asking again until a deadline, never by sleeping once.</summary>
internal static class Poll
{
    /// <summary>Returns once <paramref name="condition"/> holds; fails with <paramref name="because"/> if it does not within <paramref name="within"/> (30 s).</summary>
    public static Task UntilAsync(Func<bool> condition, string because, TimeSpan? within = null) =>
        UntilAsync(() => Task.FromResult(condition()), because, within);

    /// <summary>As <see cref="UntilAsync(Func{bool}, string, TimeSpan?)"/>, for a condition that must be awaited.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string because, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(20);
        }
    }
}
