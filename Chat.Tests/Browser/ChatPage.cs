using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.Tests.Browser;

/// <summary>The web client in one browser tab, found the way a screen reader finds it: by roles and accessible names.</summary>
internal sealed class ChatPage(IPage page)
{
    public const string Password = "correct horse";

    public IPage Page => page;

    public ILocator Log => page.GetByRole(AriaRole.Log);

    public ILocator LoginButton => page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true });

    public ILocator ConnectionState => page.Locator("#connection-state");

    public ILocator Message => page.GetByLabel("Message", new() { Exact = true });

    public static async Task<ChatPage> OpenAsync(IBrowserContext context)
    {
        var page = new ChatPage(await context.NewPageAsync());
        await page.Page.GotoAsync("/");
        return page;
    }

    public async Task RegisterAsync(string user)
    {
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await ExpectConnectedAsync();
    }

    public async Task LogInAsync(string user)
    {
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await LoginButton.ClickAsync();
        await ExpectConnectedAsync();
    }

    public Task ExpectConnectedAsync() => Expect(ConnectionState).ToHaveTextAsync("Connected", new() { Timeout = 10_000 });

    public async Task JoinAsync(string room)
    {
        await page.GetByLabel("Room", new() { Exact = true }).FillAsync(room);
        await page.GetByRole(AriaRole.Button, new() { Name = "Join", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = room, Exact = true })).ToHaveAttributeAsync("aria-current", "true");
    }

    /// <summary>Types the message and presses Enter, as a person would.</summary>
    public async Task SendAsync(string text)
    {
        await Message.FillAsync(text);
        await Message.PressAsync("Enter");
    }

    /// <summary>The log's messages whose body is exactly <paramref name="text"/>.</summary>
    public ILocator MessagesWithBody(string text) =>
        Log.Locator("li.message").Filter(new() { Has = page.Locator(".body", new() { HasTextString = text }) });
}
