using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;
using Nerdbank.MessagePack;

namespace Chat.Tests.Server;

/// <summary>
/// The codec is chosen per connection by the WebSocket subprotocol: <c>chat.v1.json</c> (or none) for JSON text,
/// <c>chat.v1.msgpack</c> for one MessagePack map per binary message, with the JSON frame's names and types. Clients
/// of both codecs share rooms.
/// </summary>
public sealed class MessagePackTests
{
    [Test]
    public async Task No_subprotocol_is_json_and_chat_v1_json_is_named_back()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");

        await using var plain = await PackedSocket.ConnectAsync(server, login.Token);
        await using var named = await PackedSocket.ConnectAsync(server, login.Token, WireCodecs.JsonSubprotocol);

        plain.SubProtocol.Should().BeNull("a client that offers no subprotocol gets none back");
        named.SubProtocol.Should().Be("chat.v1.json");
        foreach (var socket in new[] { plain, named })
        {
            var (kind, bytes) = await socket.ReceiveRawAsync();
            kind.Should().Be(WebSocketMessageType.Text);
            FrameCodec.ReadServerFrame(bytes).Should().BeOfType<WelcomeFrame>().Which.Codec.Should().Be("json");
        }
    }

    [Test]
    public async Task Chat_v1_msgpack_frames_are_maps_with_the_json_frames_names_and_types()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await PackedSocket.ConnectAsync(server, login.Token, "chat.v2.json", WireCodecs.MessagePackSubprotocol);

        socket.SubProtocol.Should().Be("chat.v1.msgpack", "the first offered subprotocol the server speaks is chosen");
        var (kind, welcome) = await socket.ReceiveRawAsync();
        kind.Should().Be(WebSocketMessageType.Binary);
        var fields = MapOf(welcome);
        fields["type"].Should().Be("welcome");
        fields["codec"].Should().Be("msgpack");
        fields["protocol"].Should().Be(1L, "integers are MessagePack integers");

        await socket.SendPackedAsync("""{"type":"join","id":"j1","room":"general"}""");
        (await socket.FirstAsync<AckFrame>(a => a.Id == "j1")).LastSeq.Should().Be(0);
        await socket.SendPackedAsync("""{"type":"send","id":"s1","room":"general","body":"héllo"}""");
        var (_, ackBytes) = await socket.ReceiveRawAsync();
        var ack = MapOf(ackBytes);
        ack["type"].Should().Be("ack");
        ack["id"].Should().Be("s1");
        ack["seq"].Should().Be(1L);
        ack["ts"].Should().BeOfType<long>();
        var push = MapOf((await socket.ReceiveRawAsync()).Bytes);
        push["type"].Should().Be("message");
        push["body"].Should().Be("héllo");
        push["sender"].Should().Be("ann");
        server.Db.Messages("general").Should().Equal((1L, "s1"));
    }

    [Test]
    public async Task Clients_of_both_codecs_share_a_room()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync("bob")).Token, WireCodecs.MessagePackSubprotocol);
        await bob.ReceiveFrameAsync();
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.SendPackedAsync("""{"type":"join","id":"j","room":"general"}""");
        await bob.FirstAsync<AckFrame>(a => a.Id == "j");

        var fromAnn = await ann.AckAsync(new SendFrame("a1", "general", "to bob"));
        var atBob = await bob.FirstAsync<MessageFrame>(m => m.Id == "a1");
        await bob.SendPackedAsync("""{"type":"send","id":"b1","room":"general","body":"to ann"}""");
        var atAnn = await ann.FirstAsync<MessageFrame>(m => m.Id == "b1");

        atBob.Seq.Should().Be(fromAnn.Seq);
        atBob.Body.Should().Be("to bob");
        atAnn.Seq.Should().Be(2);
        atAnn.Body.Should().Be("to ann");
        atAnn.Sender.Should().Be("bob");
    }

    [Test]
    public async Task An_offer_of_only_unknown_subprotocols_is_400_naming_the_known_ones()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        using var request = new HttpRequestMessage(HttpMethod.Get, ProtocolInfo.WebSocketPath);
        request.Headers.Authorization = new("Bearer", login.Token);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        request.Headers.Add("Sec-WebSocket-Protocol", "chat.v2.json, chat.v2.msgpack");

        using var answer = await server.Http.SendAsync(request);

        answer.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await answer.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse);
        error!.Error.Should().Be(ErrorCodes.BadRequest);
        error.Message.Should().Contain("chat.v1.json").And.Contain("chat.v1.msgpack");
    }

    [Test]
    public async Task A_text_message_on_a_msgpack_connection_closes_it_with_1003()
    {
        await using var server = await TestServer.StartAsync();
        await using var socket = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync("ann")).Token, WireCodecs.MessagePackSubprotocol);
        await socket.ReceiveFrameAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping","id":"p"}"""), WebSocketMessageType.Text);
        var (kind, _) = await socket.ReceiveRawAsync();

        kind.Should().Be(WebSocketMessageType.Close);
        socket.CloseStatus.Should().Be((WebSocketCloseStatus)CloseCodes.UnsupportedData);
    }

    [TestCase(new byte[] { 0x93, 0x01, 0x02, 0x03 }, "one MessagePack map")]
    [TestCase(new byte[] { 0x82, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e' }, "unreadable")]
    [TestCase(new byte[] { 0x81, 0x01, 0x02 }, "key")]
    public async Task A_binary_message_that_is_not_one_map_is_answered_bad_request_with_a_null_id(byte[] message, string why)
    {
        await using var server = await TestServer.StartAsync();
        await using var socket = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync("ann")).Token, WireCodecs.MessagePackSubprotocol);
        await socket.ReceiveFrameAsync();

        await socket.SendAsync(message, WebSocketMessageType.Binary);
        var nack = (await socket.ReceiveFrameAsync()).Should().BeOfType<NackFrame>().Subject;

        nack.Id.Should().BeNull();
        nack.Code.Should().Be(ErrorCodes.BadRequest);
        nack.Message.Should().Contain(why);
    }

    [Test]
    public async Task A_float_where_an_integer_goes_is_refused_as_in_json()
    {
        await using var server = await TestServer.StartAsync();
        await using var socket = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync("ann")).Token, WireCodecs.MessagePackSubprotocol);
        await socket.ReceiveFrameAsync();
        await socket.SendPackedAsync("""{"type":"join","id":"j","room":"general"}""");
        await socket.FirstAsync<AckFrame>(a => a.Id == "j");

        // {"type":"read","id":"r","room":"general","seq":1.0}, the seq a float64.
        var packed = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(packed);
        writer.WriteMapHeader(4);
        writer.Write("type");
        writer.Write("read");
        writer.Write("id");
        writer.Write("r");
        writer.Write("room");
        writer.Write("general");
        writer.Write("seq");
        writer.Write(1.0d);
        writer.Flush();
        await socket.SendAsync(packed.WrittenSpan.ToArray(), WebSocketMessageType.Binary);

        var nack = await socket.FirstAsync<NackFrame>(n => n.Id == "r");
        nack.Code.Should().Be(ErrorCodes.BadRequest);
    }

    [Test]
    public async Task A_msgpack_message_over_the_size_limit_closes_with_1009()
    {
        await using var server = await TestServer.StartAsync("MaxMessageBytes=2048", "MaxBodyLength=100");
        await using var socket = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync("ann")).Token, WireCodecs.MessagePackSubprotocol);
        await socket.ReceiveFrameAsync();

        await socket.SendPackedAsync($$"""{"type":"send","id":"big","room":"general","body":"{{new string('x', 3000)}}"}""");
        var (kind, _) = await socket.ReceiveRawAsync();

        kind.Should().Be(WebSocketMessageType.Close);
        socket.CloseStatus.Should().Be((WebSocketCloseStatus)CloseCodes.MessageTooBig);
    }

    [Test]
    public async Task A_push_to_members_of_both_codecs_is_encoded_once_per_codec()
    {
        var pool = new CountingPool();
        using var replaced = FramePool.Replace(pool);
        await using var server = await TestServer.StartAsync();
        var sender = await server.RegisterAndLoginAsync("sender");
        (await HttpApi.JoinAsync(server.Http, sender.Token, "general")).EnsureSuccessStatusCode();
        var json = new List<TestSocket>();
        var packed = new List<PackedSocket>();
        for (var i = 0; i < 3; i++)
        {
            var text = await server.ConnectAsync((await server.RegisterAndLoginAsync($"json{i}")).Token);
            await text.AckAsync(new JoinFrame("j", "general"));
            json.Add(text);
            var binary = await PackedSocket.ConnectAsync(server, (await server.RegisterAndLoginAsync($"pack{i}")).Token, WireCodecs.MessagePackSubprotocol);
            await binary.ReceiveFrameAsync();
            await binary.SendPackedAsync("""{"type":"join","id":"j","room":"general"}""");
            await binary.FirstAsync<AckFrame>(a => a.Id == "j");
            packed.Add(binary);
        }

        var before = pool.Rented;
        // Over HTTP, so that no ack of the sender's is rented from the pool: what it rents is the push alone.
        (await HttpApi.SendAsync(server.Http, sender.Token, "general", "once", "to six sockets")).EnsureSuccessStatusCode();
        foreach (var socket in json)
        {
            (await socket.FirstAsync<MessageFrame>(m => m.Id == "once")).Body.Should().Be("to six sockets");
        }

        foreach (var socket in packed)
        {
            (await socket.FirstAsync<MessageFrame>(m => m.Id == "once")).Body.Should().Be("to six sockets");
        }

        (pool.Rented - before).Should().Be(2, "one buffer for the three JSON sockets, one for the three MessagePack ones");
        foreach (var socket in json)
        {
            await socket.DisposeAsync();
        }

        foreach (var socket in packed)
        {
            await socket.DisposeAsync();
        }
    }

    /// <summary>Hands out fresh arrays and counts them.</summary>
    private sealed class CountingPool : System.Buffers.ArrayPool<byte>
    {
        private int _rented;

        public int Rented => Volatile.Read(ref _rented);

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref _rented);
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
        }
    }

    // The top-level map of one MessagePack message: string keys, values as the reader gives them (ints as long).
    private static Dictionary<string, object?> MapOf(byte[] message)
    {
        var reader = new MessagePackReader(message);
        var count = reader.ReadMapHeader();
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString()!;
            map[key] = reader.NextMessagePackType switch
            {
                MessagePackType.String => reader.ReadString(),
                MessagePackType.Integer => reader.ReadInt64(),
                MessagePackType.Boolean => reader.ReadBoolean(),
                MessagePackType.Float => reader.ReadDouble(),
                _ => Skip(ref reader),
            };
        }

        return map;
    }

    // A nested map or array: not what these tests look into.
    private static object? Skip(ref MessagePackReader reader)
    {
        reader.Skip(default(SerializationContext));
        return null;
    }
}
