using Microsoft.Playwright;

namespace Chat.Tests.Support;

/// <summary>
/// Debian's Chromium (apt-get install chromium), headless, driven by Playwright: its own browser download cannot be
/// used here, so it is pointed at the installed browser. One per test class; each test opens contexts of its own
/// (a context is a fresh browser profile: its own cookies and storage).
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];
    private static readonly string[] Flags = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];

    private readonly IPlaywright _playwright;

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<Chromium> LaunchAsync()
    {
        if (Candidates.FirstOrDefault(File.Exists) is not { } executable)
        {
            TestPostgres.Unavailable("the browser tests need Chromium (apt-get install chromium)");
            return null!;
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = Flags });
            return new Chromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh profile whose pages open <paramref name="server"/>'s address.</summary>
    public Task<IBrowserContext> NewContextAsync(TestServer server) =>
        Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1200, Height = 760 } });

    /// <summary>Saves a screenshot of the page under Chat.Tests/TestResults/screenshots and attaches it to the test.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(TestResults(), "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        TestContext.AddTestAttachment(path, name);
    }

    private static string TestResults()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Chat.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "TestResults");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "TestResults");
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
