using System.Net;
using Chat.Bench.Agents;
using Chat.Bench.Measure;
using Chat.Bench.Scenarios;

namespace Chat.Tests.Bench;

public sealed class AgentPiecesTests
{
    [Test]
    public void A_stamped_event_id_carries_its_intended_time_and_stays_a_valid_event_id()
    {
        var id = StampedIds.Stamp("a1b2c3n1-49-123456", 987_654_321_012_345);

        StampedIds.TryRead(id, out var ticks).Should().BeTrue();
        ticks.Should().Be(987_654_321_012_345);
        Chat.Protocol.Names.IsValidEventId(id).Should().BeTrue();
    }

    [TestCase(null)]
    [TestCase("a1b2c3n1-49-123456")]
    [TestCase("x-t")]
    [TestCase("x-t12ab")]
    public void An_id_without_a_stamp_has_no_intended_time(string? id) =>
        StampedIds.TryRead(id, out _).Should().BeFalse();

    [Test]
    public void A_latency_histogram_exported_by_one_process_and_imported_by_another_keeps_its_percentiles()
    {
        var original = new Latency();
        for (var micros = 1; micros <= 5_000; micros++)
        {
            original.Record(micros * 3);
        }

        var copy = new Latency();
        copy.Import(original.Export());
        copy.Import(original.Export());

        copy.Count.Should().Be(original.Count * 2);
        copy.Percentile(50).Should().Be(original.Percentile(50));
        copy.Percentile(99).Should().Be(original.Percentile(99));
        copy.Max.Should().Be(original.Max);
    }

    [Test]
    public void Connections_are_shared_over_groups_as_evenly_as_whole_numbers_allow()
    {
        ClientGroups.Share(19_000, 3).Should().Equal(6_333, 6_333, 6_334);
        ClientGroups.Share(10, 4).Sum().Should().Be(10);
        ClientGroups.Share(10, 4).Max().Should().BeLessThanOrEqualTo(3);
        ClientGroups.Share(5, 1).Should().Equal(5);
    }

    [Test]
    public void Agents_are_started_only_past_what_one_process_may_hold_and_never_too_few()
    {
        ClientGroups.AgentsFor(2_000, null).Should().Be(0);
        ClientGroups.AgentsFor(19_000, null).Should().Be(3);
        ClientGroups.AgentsFor(2_000, 2).Should().Be(2);
        ClientGroups.AgentsFor(ClientGroups.MaxPerAgent, null).Should().Be(0);
        FluentActions.Invoking(() => ClientGroups.AgentsFor(19_000, 2)).Should().Throw<ArgumentException>().WithMessage("*at least 3 agents*");
        ClientGroups.AgentAddress(0).Should().Be(IPAddress.Parse("127.0.0.2"));
        ClientGroups.AgentAddress(2).Should().Be(IPAddress.Parse("127.0.0.4"));
    }

    [Test]
    public void Idle_steps_are_four_equal_ones_unless_given()
    {
        IdleScenario.Steps(2_000, []).Should().Equal(500, 1_000, 1_500, 2_000);
        IdleScenario.Steps(2, []).Should().Equal(1, 2);
        IdleScenario.Steps(19_000, [1_000, 5_000, 10_000, 19_000]).Should().Equal(1_000, 5_000, 10_000, 19_000);
    }
}

public sealed class PacerTests
{
    [Test]
    public async Task The_pacer_releases_every_due_event_of_every_schedule_in_time_order_and_none_before_its_time()
    {
        var start = Clock.Now;
        // Two staggered schedules of 200 a second for a quarter of a second: 50 events each.
        var schedules = new[]
        {
            new OpenLoopSchedule(start, 200, System.Diagnostics.Stopwatch.Frequency),
            new OpenLoopSchedule(start + Clock.Ticks(TimeSpan.FromMilliseconds(2.5)), 200, System.Diagnostics.Stopwatch.Frequency),
        };
        var released = new List<(int Schedule, long Event, long Intended, long At)>();

        await Pacer.RunAsync(schedules, start + Clock.Ticks(TimeSpan.FromMilliseconds(250)), (s, k, intended) => released.Add((s, k, intended, Clock.Now)), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        released.Count(r => r.Schedule == 0).Should().Be(50);
        released.Count(r => r.Schedule == 1).Should().Be(50);
        released.Select(r => r.Intended).Should().BeInAscendingOrder();
        released.Should().OnlyContain(r => r.At >= r.Intended, "an event never leaves before its intended time");
        released.Where(r => r.Schedule == 1).Select(r => r.Event).Should().Equal(Enumerable.Range(0, 50).Select(k => (long)k));
    }
}
