using ActorGrid.Protocol;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker.Metrics;

namespace ActorGrid.Runtime.Tests.Workers;

// The worker's batching of an attempt's metric lines: every line, in order, in bounded batches.
public class AttemptMetricsSpecs
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, double> Line(int i) => new() { ["loss"] = 1.0 / i, ["step"] = i };

    [Fact]
    public void Should_number_every_line_in_print_order_and_hand_each_out_once()
    {
        var metrics = new AttemptMetrics(new TaskId("t-1"), 2, MetricBatchSettings.Default);
        for (var i = 1; i <= 3; i++) Assert.False(metrics.Add(Line(i), T0.AddMilliseconds(i)));
        Assert.False(metrics.Add(new Dictionary<string, double>(), T0)); // a progress line without metrics is not a metric line

        var first = metrics.TakeBatch()!;
        metrics.Add(Line(4), T0);
        var second = metrics.TakeBatch()!;

        Assert.Equal((new TaskId("t-1"), 2), (first.TaskId, first.Attempt));
        Assert.Equal([1L, 2L, 3L], first.Lines.Select(l => l.Seq));
        Assert.Equal(1.0 / 3, first.Lines[2].Values["loss"]);
        Assert.Equal([4L], second.Lines.Select(l => l.Seq));
        Assert.Null(metrics.TakeBatch());
    }

    [Fact]
    public void Should_say_a_batch_is_full_at_its_value_bound_so_it_goes_at_once()
    {
        var metrics = new AttemptMetrics(new TaskId("t-1"), 1, MetricBatchSettings.Default with { MaxValuesPerBatch = 5 });

        Assert.False(metrics.Add(Line(1), T0));
        Assert.False(metrics.Add(Line(2), T0));
        Assert.True(metrics.Add(Line(3), T0)); // 6 values pending

        Assert.Equal(3, metrics.TakeBatch()!.Lines.Count);
        Assert.False(metrics.Add(Line(4), T0));
    }

    [Fact]
    public void Should_keep_no_more_than_its_line_bound_and_say_so_once()
    {
        var metrics = new AttemptMetrics(new TaskId("t-1"), 1, MetricBatchSettings.Default with { MaxLinesPerAttempt = 2 });
        metrics.Add(Line(1), T0);
        metrics.Add(Line(2), T0);

        Assert.True(metrics.Add(Line(3), T0));
        Assert.False(metrics.Add(Line(4), T0));

        var batch = metrics.TakeBatch()!;
        Assert.Equal([1L, 2L], batch.Lines.Select(l => l.Seq));
        Assert.Contains("more than 2 metric lines", batch.Truncated);
        Assert.Null(metrics.TakeBatch());
        Assert.Equal(2, metrics.Lines);
    }

    [Fact]
    public void Should_round_trip_a_batch_through_the_protocol_serializer()
    {
        var options = ActorGridSerializer.CreateOptions();
        var batch = new TaskMetricsSampled(new TaskId("t-1"), 1, [new MetricLine(7, T0, Line(7))], "cut");

        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(batch, options);
        var back = System.Text.Json.JsonSerializer.Deserialize<TaskMetricsSampled>(json, options)!;

        Assert.Equal("task.metrics-sampled", ProtocolManifests.ByType[typeof(TaskMetricsSampled)]);
        Assert.Equal((batch.TaskId, batch.Attempt, batch.Truncated), (back.TaskId, back.Attempt, back.Truncated));
        Assert.Equal((7L, T0, 1.0 / 7), (back.Lines[0].Seq, back.Lines[0].At, back.Lines[0].Values["loss"]));
    }
}
