using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Adversarial;

/// <summary>Nothing a client sends is logged whole: no token, no password, no body; names and headers are cut short.</summary>
public sealed class LogRedactionTests
{
    [Test]
    public async Task After_a_full_session_the_log_holds_no_token_password_or_body_and_no_long_client_text()
    {
        await using var server = await TestServer.StartAsync("AllowedOrigins:0=https://chat.example");
        const string password = "p4ssw0rd-that-must-not-be-logged";
        const string body = "a body that must not be logged";
        var login = await server.RegisterAndLoginAsync("ann", password);
        await using (var socket = await server.ConnectAsync(login.Token))
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
            await socket.AckAsync(new SendFrame("m1", "general", body));
            await socket.SendTextAsync("""{"type":"send","id":"m2","room":"general","body":""" + "\"" + body + " (malformed\"");
            while (await socket.ReceiveAsync() is not NackFrame)
            {
                // The echo of the first send comes first.
            }
        }

        (await HttpApi.SendAsync(server.Http, login.Token, "general", "m3", body + " over HTTP")).StatusCode.Should().Be(HttpStatusCode.Created);
        var longName = "forged\nline " + new string('n', 5_000);
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        (await anonymous.PostAsJsonAsync("/api/login", new Credentials(longName, password + "x"), ChatJsonContext.Wire.Credentials))
            .StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("/api/login", new Credentials("ann", password + "x"), ChatJsonContext.Wire.Credentials))
            .StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using (var hijack = new ClientWebSocket())
        {
            hijack.Options.SetRequestHeader("Authorization", "Bearer " + login.Token);
            hijack.Options.SetRequestHeader("Origin", "https://evil.example/" + new string('o', 3_000));
            var connecting = () => hijack.ConnectAsync(server.WebSocketUri, CancellationToken.None);
            await connecting.Should().ThrowAsync<WebSocketException>();
        }

        (await server.LogoutAsync(login.Token)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var log = server.LogText;
        log.Should().Contain("Failed login", "the failures were logged, in short");
        log.Should().NotContain(login.Token).And.NotContain(password).And.NotContain(body);
        log.Should().NotContain(new string('n', 100)).And.NotContain(new string('o', 100));
        log.Should().NotContain("forged\nline", "a line break from a client cannot start a forged log line");
    }
}
