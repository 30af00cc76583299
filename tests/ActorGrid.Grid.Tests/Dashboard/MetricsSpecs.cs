using System.Net;
using System.Net.Http.Headers;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// /metrics after real work on a live embedded grid, read the way Prometheus reads it.
[Collection(DashboardGridCollection.Name)]
public sealed class MetricsSpecs(DashboardGridFixture grid) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = grid.Grid.HttpBase, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Should_move_task_counters_by_exactly_the_number_of_tasks_submitted()
    {
        const int submitted = 4;
        const string lane = "interactive";
        await OperatorViews.LocalNodeIdAsync(grid.Api, Long);
        var before = await OperatorViews.ScrapeAsync(_http);

        var ids = new List<string>();
        for (var i = 0; i < submitted; i++)
        {
            var body = Tasks.Shell($"echo task {i}");
            body["lane"] = lane;
            var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids.Add(Tasks.Id(accepted));
        }
        foreach (var id in ids)
            Assert.Equal("succeeded", Tasks.State(await grid.Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, Long)));

        double Delta(PrometheusText after, string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        var after = await OperatorViews.ScrapeUntilAsync(_http,
            m => Delta(m, "actorgrid_tasks_finished_total", ("lane", lane), ("state", "succeeded")) >= submitted,
            Long, $"{submitted} more succeeded {lane} tasks");

        Assert.Equal(submitted, Delta(after, "actorgrid_tasks_submitted_total", ("lane", lane)));
        Assert.Equal(submitted, Delta(after, "actorgrid_tasks_finished_total", ("lane", lane), ("state", "succeeded")));
        Assert.Equal(0, Delta(after, "actorgrid_tasks_finished_total", ("lane", lane), ("state", "failed")));
        Assert.Equal(submitted, Delta(after, "actorgrid_tasks", ("lane", lane), ("state", "succeeded")));
        Assert.Equal(0, after.Sum("actorgrid_tasks", ("lane", lane), ("state", "running")));
        Assert.Equal(0, after.Sum("actorgrid_queue_length", ("lane", lane)));
        Assert.Equal(submitted, Delta(after, "actorgrid_task_submit_to_running_seconds_count", ("lane", lane)));
        Assert.True(Delta(after, "actorgrid_task_submit_to_running_seconds_sum", ("lane", lane)) > 0);

        var placed = Delta(after, "actorgrid_placement_decisions_total", ("result", "placed"));
        Assert.True(placed >= submitted, $"expected at least {submitted} placed decisions, saw {placed}");
        Assert.Equal(
            after.Sum("actorgrid_placement_decisions_total", ("result", "placed")),
            after.Sum("actorgrid_placement_decision_seconds_count", ("result", "placed")));

        // Each task journals at least submitted, queued, placed, started, attempt-ended and succeeded.
        Assert.True(Delta(after, "actorgrid_journal_events_written_total", ("entity", "task")) >= 6 * submitted);
        Assert.True(Delta(after, "actorgrid_journal_write_seconds_count", ("entity", "task")) > 0);
        Assert.Equal("histogram", after.Types["actorgrid_journal_write_seconds"]);

        Assert.Equal("histogram", after.Types["actorgrid_task_submit_to_running_seconds"]);
        Assert.Equal("histogram", after.Types["actorgrid_placement_decision_seconds"]);
        Assert.Equal("counter", after.Types["actorgrid_tasks_submitted_total"]);
        Assert.Equal("gauge", after.Types["actorgrid_tasks"]);
    }

    [Fact]
    public async Task Should_report_membership_nodes_and_utilisation_of_the_embedded_grid()
    {
        await OperatorViews.LocalNodeIdAsync(grid.Api, Long);
        var metrics = await OperatorViews.ScrapeUntilAsync(_http,
            m => m.Sum("actorgrid_nodes", ("state", "ready")) == 1, Long, "one ready node");

        Assert.Equal(1, metrics.Sum("actorgrid_cluster_members", ("status", "up")));
        Assert.Equal(0, metrics.Sum("actorgrid_cluster_members", ("status", "down")));
        Assert.Equal(0, metrics.Sum("actorgrid_cluster_unreachable_members"));
        var cpu = metrics.Samples.Where(s => s.Name == "actorgrid_node_utilisation_ratio" && s.Labels["resource"] == "cpu").ToList();
        Assert.NotEmpty(cpu);
        Assert.All(cpu, s => Assert.InRange(s.Value, 0, 1));
    }

    [Fact]
    public async Task Should_count_open_dashboard_streams_as_sse_subscribers()
    {
        var before = (await OperatorViews.ScrapeAsync(_http)).Sum("actorgrid_sse_subscribers", ("stream", "dashboard"));
        var request = ApiClient.Request(HttpMethod.Get, "/v1/dashboard/stream", DashboardGridFixture.AdminToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using (var events = new DashboardEventReader(response))
        {
            Assert.Equal("snapshot", (await events.NextAsync()).Name);
            var open = await OperatorViews.ScrapeAsync(_http);
            Assert.Equal(before + 1, open.Sum("actorgrid_sse_subscribers", ("stream", "dashboard")));
        }
        await OperatorViews.ScrapeUntilAsync(_http,
            m => m.Sum("actorgrid_sse_subscribers", ("stream", "dashboard")) == before, Long, "the closed stream no longer counted");
    }

    public void Dispose() => _http.Dispose();
}
