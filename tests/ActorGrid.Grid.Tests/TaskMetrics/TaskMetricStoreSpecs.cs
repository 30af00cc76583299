using System.Globalization;
using ActorGrid.Gateway.TaskMetrics;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using CsvHelper;

namespace ActorGrid.Grid.Tests.TaskMetrics;

// The task metric store on the databases the grid runs on: a SQLite file (the embedded grid) and
// a fresh PostgreSQL database (gateways sharing one store).
public sealed class TaskMetricStoreSpecs : IAsyncLifetime
{
    private readonly TestDirectory _dir = TestDirectory.Create("task-metric-store");
    private PostgresDatabase _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresDatabase.CreateAsync("taskmetrics");

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _dir.Dispose();
    }

    private TaskMetricStore Store(string kind) => new(kind == "postgres"
        ? DatabaseTarget.Parse(_postgres.Url, _dir.Path)
        : DatabaseTarget.Sqlite(Path.Combine(_dir.Path, "metrics.db")));

    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    // Lines first..last of an attempt, each with loss = 1/seq, val_loss = 2/seq and step = 10 seq, 1 s apart.
    private static TaskMetricsSampled Batch(string task, int attempt, int first, int last, string? truncated = null) =>
        new(new TaskId(task), attempt, [.. Enumerable.Range(first, last - first + 1).Select(i => new MetricLine(i, T0.AddSeconds(i),
            new Dictionary<string, double> { ["loss"] = 1.0 / i, ["val_loss"] = 2.0 / i, ["step"] = 10 * i }))], truncated);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Should_keep_every_point_in_print_order_and_store_a_resent_batch_once(string kind)
    {
        var store = Store(kind);

        var first = await store.AppendAsync([Batch("job-a", 1, 1, 40), Batch("job-b", 1, 1, 3)], 10_000);
        var again = await store.AppendAsync([Batch("job-a", 1, 31, 50)], 10_000); // 31-40 were already stored

        Assert.Equal((129, 30), (first.Stored, again.Stored));
        Assert.Equal(["job-a", "job-b"], first.Tasks.Order());
        var points = await store.ReadAsync(new TaskMetricStore.Query("job-a"));
        var loss = points.Where(p => p.Name == "loss").ToList();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), loss.Select(p => p.Seq));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => 1.0 / i), loss.Select(p => p.Value));
        Assert.Equal(T0.AddSeconds(7).ToUnixTimeMilliseconds(), loss[6].AtUnixMs);
        Assert.Equal(150, points.Count);
        Assert.Equal(new TaskMetricTotals(150, null), await store.TotalsAsync("job-a"));
        Assert.Equal(9, (await store.ReadAsync(new TaskMetricStore.Query("job-b"))).Count);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Should_stop_at_the_bound_per_task_and_say_so(string kind)
    {
        var store = Store(kind);

        await store.AppendAsync([Batch("noisy", 1, 1, 30)], maxPointsPerTask: 100);
        var over = await store.AppendAsync([Batch("noisy", 1, 31, 60), Batch("calm", 1, 1, 2)], maxPointsPerTask: 100);

        Assert.Equal(10 + 6, over.Stored); // noisy had room for 10 more; calm is untouched by noisy's bound
        var totals = await store.TotalsAsync("noisy");
        Assert.Equal(100, totals.Points);
        Assert.Contains("max-points-per-task", totals.Truncated);
        Assert.Equal(100, (await store.ReadAsync(new TaskMetricStore.Query("noisy"))).Count);
        Assert.Null((await store.TotalsAsync("calm")).Truncated);

        // The worker's own cut is kept as the note too.
        await store.AppendAsync([Batch("cut", 1, 1, 1, truncated: "the attempt printed more than 1 metric lines")], 100);
        Assert.Contains("more than 1 metric lines", (await store.TotalsAsync("cut")).Truncated);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Should_filter_by_time_names_and_cursor_across_attempts(string kind)
    {
        var store = Store(kind);
        await store.AppendAsync([Batch("job", 1, 1, 10), Batch("job", 2, 1, 5)], 10_000);

        var since = await store.ReadAsync(new TaskMetricStore.Query("job", SinceUnixMs: T0.AddSeconds(8).ToUnixTimeMilliseconds(), Names: ["loss"]));
        // Attempt 1's lines 8-10 and none of attempt 2's (printed at seconds 1-5).
        Assert.Equal([(1, 8L), (1, 9L), (1, 10L)], since.Select(p => (p.Attempt, p.Seq)));
        Assert.All(since, p => Assert.Equal("loss", p.Name));

        var two = await store.ReadAsync(new TaskMetricStore.Query("job", Names: ["loss", "step"], AfterAttempt: 1, AfterSeq: 9));
        Assert.Equal([(1, 10L), (2, 1L), (2, 2L), (2, 3L), (2, 4L), (2, 5L)], two.Select(p => (p.Attempt, p.Seq)).Distinct());
        Assert.Equal(12, two.Count);

        var limited = await store.ReadAsync(new TaskMetricStore.Query("job", Limit: 4));
        Assert.Equal(["loss", "step", "val_loss", "loss"], limited.Select(p => p.Name));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Should_remove_only_points_older_than_the_cutoff(string kind)
    {
        var store = Store(kind);
        await store.AppendAsync([Batch("old", 1, 1, 10)], 10_000);

        var removed = await store.PruneAsync(T0.AddSeconds(6).ToUnixTimeMilliseconds());

        Assert.Equal(15, removed);
        Assert.Equal(Enumerable.Range(6, 5).Select(i => (long)i), (await store.ReadAsync(new TaskMetricStore.Query("old", Names: ["loss"]))).Select(p => p.Seq));
    }

    [Fact]
    public void Should_write_csv_that_reads_back_to_the_same_points()
    {
        TaskMetricPoint[] points =
        [
            new(1, 1, "loss", T0.ToUnixTimeMilliseconds(), 0.1 + 0.2),
            new(1, 1, "odd,name \"quoted\"", T0.AddMilliseconds(1).ToUnixTimeMilliseconds(), -1e-300),
            new(2, 7, "step", T0.AddDays(1).ToUnixTimeMilliseconds(), 800),
        ];

        var csv = System.Text.Encoding.UTF8.GetString(TaskMetricSeries.ToCsv(points));

        using var reader = CsvReader.FromText(csv, new CsvReaderOptions { HasHeader = true });
        Assert.Equal(TaskMetricSeries.CsvColumns, reader.Headers.ToArray());
        var back = new List<TaskMetricPoint>();
        while (reader.Read())
            back.Add(new TaskMetricPoint(int.Parse(reader.GetString(0), CultureInfo.InvariantCulture), long.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
                reader.GetString(3), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
                double.Parse(reader.GetString(4), CultureInfo.InvariantCulture)));
        Assert.Equal(points, back);
        Assert.Contains("2025-06-01T08:00:00.0000000+00:00", csv);
    }
}
