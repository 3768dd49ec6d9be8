using System.Diagnostics;
using Chat.Bench.Measure;
using Chat.Bench.Output;

namespace Chat.Tests.Bench;

public sealed class HarnessArithmeticTests
{
    [Test]
    public void Percentiles_of_a_uniform_run_of_latencies_are_where_they_should_be_within_the_histograms_precision()
    {
        var latency = new Latency();
        for (var micros = 1; micros <= 10_000; micros++)
        {
            latency.Record(micros);
        }

        latency.Count.Should().Be(10_000);
        // Three significant digits: each value is within 0.1% of the true one.
        latency.Percentile(50).Should().BeApproximately(5_000, 5);
        latency.Percentile(90).Should().BeApproximately(9_000, 9);
        latency.Percentile(99).Should().BeApproximately(9_900, 10);
        latency.Percentile(99.9).Should().BeApproximately(9_990, 10);
        latency.Max.Should().BeApproximately(10_000, 10);
    }

    [Test]
    public void Merged_histograms_hold_every_recording_of_each()
    {
        var a = new Latency();
        var b = new Latency();
        for (var i = 0; i < 100; i++)
        {
            a.Record(100);
            b.Record(10_000);
        }

        a.Add(b);

        a.Count.Should().Be(200);
        a.Percentile(25).Should().BeApproximately(100, 1);
        a.Percentile(75).Should().BeApproximately(10_000, 10);
    }

    [Test]
    public void A_latency_beyond_the_histograms_range_is_recorded_as_its_ceiling_instead_of_failing_the_run()
    {
        var latency = new Latency();

        latency.Record(Latency.MaxMicros * 10);
        latency.Record(-5);

        latency.Count.Should().Be(2);
        latency.Max.Should().BeGreaterThanOrEqualTo(Latency.MaxMicros * 0.999);
    }

    [Test]
    public void An_empty_histogram_reports_zeros_rather_than_throwing()
    {
        var metrics = new Dictionary<string, double>();

        new Latency().WriteTo(metrics);

        metrics.Should().ContainKey(Metric.P99).WhoseValue.Should().Be(0);
    }

    [Test]
    public void The_open_loop_schedule_spaces_intended_send_times_by_the_inverse_of_the_rate()
    {
        var schedule = new OpenLoopSchedule(startTicks: 1_000, ratePerSecond: 100, frequency: 1_000_000);

        schedule.IntendedTicks(0).Should().Be(1_000);
        schedule.IntendedTicks(1).Should().Be(11_000);
        schedule.IntendedTicks(250).Should().Be(2_501_000);
        schedule.DueBy(999).Should().Be(0);
        schedule.DueBy(1_000).Should().Be(1);
        schedule.DueBy(20_999).Should().Be(2);
        schedule.DueBy(21_000).Should().Be(3);
    }

    [Test]
    public void A_stall_counts_against_every_send_that_was_due_during_it_not_only_the_one_that_met_it()
    {
        // 1,000 sends per second; the server stalls for the first 100 ms, then answers everything at once at 100 ms.
        var frequency = 1_000_000L;
        var schedule = new OpenLoopSchedule(0, 1_000, frequency);
        var corrected = new Latency();
        var naive = new Latency();
        var stallEnd = 100_000L;
        for (long k = 0; k < 100; k++)
        {
            // A sender blocked by the stall sends event k only when the stall ends, so, measured from when it left,
            // its latency looks like nothing: the coordinated omission.
            var answered = stallEnd + 10;
            naive.Record(answered - stallEnd);
            corrected.Record(schedule.CorrectedLatencyTicks(k, answered) * 1_000_000 / frequency);
        }

        naive.Percentile(50).Should().BeLessThan(20);
        corrected.Percentile(50).Should().BeApproximately(50_000, 1_000);
        corrected.Max.Should().BeApproximately(100_010, 100);
        corrected.Percentile(1).Should().BeLessThan(2_000);
    }

    [Test]
    public void A_spread_gives_the_mean_range_and_sample_deviation_of_the_rounds()
    {
        var spread = Spread.Of([1.0, 2.0, 3.0]);

        spread.Mean.Should().Be(2);
        spread.Min.Should().Be(1);
        spread.Max.Should().Be(3);
        spread.StdDev.Should().BeApproximately(1, 1e-12);
        spread.Rounds.Should().Be(3);
        spread.RelativeRange.Should().Be(1);
    }

    [Test]
    public void Ratios_are_taken_round_by_round_and_a_round_with_a_zero_baseline_is_left_out()
    {
        var ratio = Spread.OfRatios([2.0, 4.0, 6.0, 5.0], [1.0, 2.0, 2.0, 0.0]);

        ratio.Rounds.Should().Be(3);
        ratio.Mean.Should().BeApproximately(7.0 / 3, 1e-12);
        ratio.Min.Should().Be(2);
        ratio.Max.Should().Be(3);
    }

    [Test]
    public void The_summary_gives_each_variant_its_ratio_to_ws_of_the_same_round()
    {
        RunResult Run(string variant, int round, double throughput) => new()
        {
            Scenario = "send", Group = "C=16", Variant = variant, Path = variant, Round = round, Settings = [],
            Metrics = new(StringComparer.Ordinal) { [Metric.Throughput] = throughput },
        };

        var rows = Summary.Ratios([Run("ws", 1, 100), Run("http1", 1, 50), Run("ws", 2, 200), Run("http1", 2, 60)]).ToList();

        var http1 = rows.Single(r => r.Variant == "http1" && r.Metric == Metric.Throughput);
        http1.Value.Mean.Should().Be(55);
        http1.RatioToWs.Mean.Should().BeApproximately(0.4, 1e-12);
        http1.RatioToWs.Min.Should().BeApproximately(0.3, 1e-12);
        http1.RatioToWs.Max.Should().BeApproximately(0.5, 1e-12);
        rows.Single(r => r.Variant == "ws").RatioToWs.Mean.Should().Be(1);
    }

    [Test]
    public void Prometheus_samples_are_read_by_name_with_labelled_series_summed()
    {
        var text = """
            # HELP process_cpu_seconds_total Total user and system CPU time.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total 12.5
            system_runtime_dotnet_gc_collections{gc_heap_generation="gen0"} 3
            system_runtime_dotnet_gc_collections{gc_heap_generation="gen1"} 2
            system_runtime_dotnet_gc_heap_total_allocated 1.5e+09
            """;

        var values = PrometheusText.Parse(text);

        values["process_cpu_seconds_total"].Should().Be(12.5);
        values["system_runtime_dotnet_gc_collections"].Should().Be(5);
        values["system_runtime_dotnet_gc_heap_total_allocated"].Should().Be(1.5e9);
    }

    [Test]
    public void The_own_process_can_be_read_from_proc_with_a_positive_cpu_time_and_resident_memory()
    {
        ProcStat.TryRead(Environment.ProcessId, out var stat).Should().BeTrue();

        stat.CpuSeconds.Should().BeGreaterThan(0);
        stat.RssBytes.Should().BeGreaterThan(1024 * 1024);
        Process.GetCurrentProcess().WorkingSet64.Should().BeGreaterThan(0);
    }
}
