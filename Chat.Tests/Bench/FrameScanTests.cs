using System.Text;
using Chat.Bench.Senders;

namespace Chat.Tests.Bench;

public sealed class FrameScanTests
{
    private static (string? Type, string? Id, string? Code) Read(string json, ServerTimings? timings = null) =>
        Frames.Read(Encoding.UTF8.GetBytes(json), timings);

    [Test]
    public void An_ack_a_nack_and_an_http_error_body_are_read_for_their_type_id_and_code()
    {
        Read("""{"type":"ack","id":"a-1","room":"r","seq":7,"ts":1}""").Should().Be(("ack", "a-1", (string?)null));
        Read("""{"type":"nack","id":"a-2","code":"forbidden","message":"x","retryable":false}""").Should().Be(("nack", "a-2", "forbidden"));
        Read("""{"error":"unauthenticated","message":"log in"}""").Should().Be(((string?)null, (string?)null, "unauthenticated"));
    }

    [Test]
    public void A_message_push_is_read_with_the_senders_event_id_whatever_the_order_of_its_fields()
    {
        Read("""{"room":"r","seq":1,"sender":"ann","id":"ann-2","body":"hi","ts":1,"type":"message"}""").Should().Be(("message", "ann-2", (string?)null));
    }

    [Test]
    public void The_server_timings_of_answers_in_the_window_are_averaged_and_those_outside_it_ignored()
    {
        var timings = new ServerTimings();
        const string ack = """{"type":"ack","id":"a","timings":{"queuedUs":10,"revalidateUs":4,"applyUs":6,"commitUs":100,"fanoutUs":2,"totalUs":122,"batchSize":8},"seq":1}""";
        const string other = """{"type":"ack","id":"b","timings":{"queuedUs":30,"revalidateUs":4,"applyUs":6,"commitUs":300,"fanoutUs":2,"totalUs":342,"batchSize":16}}""";

        Read(ack, timings).Id.Should().Be("a");
        timings.Recording = true;
        Read(ack, timings);
        Read(other, timings).Should().Be(("ack", "b", (string?)null));
        var metrics = new Dictionary<string, double>();
        timings.WriteTo(metrics);

        metrics["serverTimingAnswers"].Should().Be(2);
        metrics["serverTimingQueuedUs"].Should().Be(20);
        metrics["serverTimingCommitUs"].Should().Be(200);
        metrics["serverTimingTotalUs"].Should().Be(232);
        metrics["serverTimingBatchSize"].Should().Be(12);
    }

    [Test]
    public void A_frame_cut_short_gives_what_was_read_before_the_cut_instead_of_throwing()
    {
        Read("""{"type":"ack","id":"x","ro""").Should().Be(("ack", "x", (string?)null));
        Read("not json").Should().Be(((string?)null, (string?)null, (string?)null));
    }
}
