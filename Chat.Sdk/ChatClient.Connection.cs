using System.Net;
using System.Net.WebSockets;
using Chat.Protocol.Frames;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    /// <summary>
    /// Opens the WebSocket with the session token and waits for the welcome. After this, the client keeps itself
    /// connected until disposed or stopped. Throws <see cref="SessionEndedException"/> when the server refuses the
    /// token, and <see cref="WebSocketException"/> when the server cannot be reached.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfStopped();
        if (Token is null)
        {
            throw new InvalidOperationException("log in first (LoginAsync), or set a token (UseToken)");
        }

        if (Interlocked.CompareExchange(ref _state, (int)ChatClientState.Connected, (int)ChatClientState.Created) != (int)ChatClientState.Created)
        {
            throw new InvalidOperationException("ConnectAsync may be called once");
        }

        Link link;
        try
        {
            link = await OpenLinkAsync(cancellationToken);
        }
        catch (SessionEndedException ex)
        {
            Stop(ex);
            throw;
        }
        catch
        {
            Interlocked.CompareExchange(ref _state, (int)ChatClientState.Created, (int)ChatClientState.Connected);
            throw;
        }

        Activate(link);
        _supervisor = SuperviseAsync(link);
    }

    private Uri WebSocketUri => new UriBuilder(_options.ServerAddress)
    {
        Scheme = _options.ServerAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        Path = ProtocolInfo.WebSocketPath,
    }.Uri;

    private async Task<Link> OpenLinkAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + Token);
        if (_options.Codec == WireCodec.MessagePack)
        {
            socket.Options.AddSubProtocol(WireCodecs.MessagePackSubprotocol);
        }

        try
        {
            await socket.ConnectAsync(WebSocketUri, timeout.Token);
            var welcome = await ReceiveWelcomeAsync(socket, _options.Codec, timeout.Token);
            Welcome = welcome;
            User = welcome.User;
            return new Link(this, socket, _options.Codec);
        }
        catch (WebSocketException) when (socket.HttpStatusCode == HttpStatusCode.Unauthorized)
        {
            socket.Dispose();
            throw new SessionEndedException(ErrorCodes.Unauthenticated);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<WelcomeFrame> ReceiveWelcomeAsync(ClientWebSocket socket, WireCodec codec, CancellationToken cancellationToken)
    {
        var kind = codec == WireCodec.MessagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        var buffer = new byte[4096];
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (count == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
            count += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType == kind);

        var json = result.MessageType != kind ? null
            : codec == WireCodec.MessagePack ? MessagePackFrames.ToJson(buffer.AsMemory(0, count))
            : buffer.AsSpan(0, count).ToArray();
        return json is not null && FrameCodec.ReadServerFrame(json) is WelcomeFrame welcome
            ? welcome
            : throw new WebSocketException(WebSocketError.InvalidState, "the server did not start with a welcome frame");
    }

    /// <summary>
    /// Makes <paramref name="link"/> current: sends every unanswered event again, oldest first, then lets new events
    /// through, then re-syncs every followed room.
    /// </summary>
    private void Activate(Link link)
    {
        link.Start();
        _link = link;
        foreach (var pending in _pending.Values.OrderBy(p => p.Number))
        {
            pending.RetryAt = 0;
            link.Write(pending);
        }

        link.MarkReady();

        // Events made while the pass above ran were written by neither; writing one twice is harmless.
        foreach (var pending in _pending.Values)
        {
            if (pending.Generation != link.Generation)
            {
                link.Write(pending);
            }
        }

        Interlocked.Increment(ref _connections);
        SetState(ChatClientState.Connected);
        ResyncAll();
        if (_stopReason is not null)
        {
            link.Abort();
        }
    }

    /// <summary>Keeps the client connected: on every drop, reconnect with growing, jittered delays.</summary>
    private async Task SuperviseAsync(Link link)
    {
        while (true)
        {
            await link.Closed;
            _link = null;
            link.Dispose();
            if (Fatal(link) is { } fatal)
            {
                Stop(fatal);
            }

            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            SetState(ChatClientState.Reconnecting);
            if (await ReconnectAsync() is not { } next)
            {
                return;
            }

            link = next;
            Activate(link);
        }
    }

    private async Task<Link?> ReconnectAsync()
    {
        var delay = _options.ReconnectMinDelay;
        while (true)
        {
            try
            {
                // Full jitter: many clients dropped together do not all come back at the same instant.
                await Task.Delay(delay * (0.5 + Random.Shared.NextDouble() / 2), _stopping.Token);
                return await OpenLinkAsync(_stopping.Token);
            }
            catch (SessionEndedException ex)
            {
                Stop(ex);
                return null;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception)
            {
                // Unreachable, refused, timed out, or an unreadable welcome: all worth another try later. Only the
                // server's word that the session ended (above) stops the client.
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
        }
    }

    /// <summary>Why a closed link must not be replaced, or null when reconnecting is right.</summary>
    private static Exception? Fatal(Link link) => link.CloseStatus switch
    {
        _ when link.SessionEndReason is { } reason => new SessionEndedException(reason),
        CloseCodes.SessionEnded => new SessionEndedException(SessionEndReasons.Revoked),
        { } code when !CloseCodes.MayReconnect(code) => new ChatProtocolException(code, null),
        _ => null,
    };

    private void OnFrame(Link link, ServerFrame frame)
    {
        switch (frame)
        {
            case AckFrame ack:
                OnAck(ack);
                break;
            case NackFrame nack:
                OnNack(nack);
                break;
            case MessageFrame message:
                OnMessage(message.ToMessage());
                break;
            case PresenceFrame or UserTypingFrame or ReadMarkerFrame:
                OnLiveFrame(frame);
                break;
            case SessionEndedFrame ended:
                link.SessionEndReason = ended.Reason;
                Stop(new SessionEndedException(ended.Reason));
                break;
        }
    }
}
