using ActorGrid.Gateway.Observability;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;

namespace ActorGrid.Gateway.Tests.Observability;

// The observer's bookkeeping, without an actor system: what the dashboard and the metrics show.
public class GridObservationSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static TaskEventPublished Event(string task, long seq, string type, string state, string lane = "batch", string? node = null, double atSeconds = 0) =>
        new(new TenantId("acme"), new TaskId(task), seq, type, state, lane, node is null ? null : new NodeId(node), T0.AddSeconds(atSeconds));

    private static IEnumerable<TaskEventPublished> Lifecycle(string task, string lane = "batch", double startAt = 0.25, double endAt = 2)
    {
        yield return Event(task, 1, "submitted", "submitted", lane);
        yield return Event(task, 2, "queued", "queued", lane);
        yield return Event(task, 3, "placed", "placed", lane, "edge-1", 0.1);
        yield return Event(task, 4, "started", "running", lane, "edge-1", startAt);
        yield return Event(task, 5, "attempt-ended", "running", lane, "edge-1", endAt);
        yield return Event(task, 6, "succeeded", "succeeded", lane, "edge-1", endAt);
    }

    [Fact]
    public void Should_count_tasks_per_state_and_lane_as_they_move()
    {
        var grid = new GridObservation(new ObservationLimits());
        var events = Lifecycle("t-1").ToList();

        foreach (var e in events.Take(4)) grid.Apply(e);
        grid.Apply(Event("t-2", 1, "submitted", "submitted", "realtime"));
        grid.Apply(Event("t-2", 2, "queued", "queued", "realtime"));

        Assert.Equal(1, grid.Count("running", "batch"));
        Assert.Equal(1, grid.Count("queued", "realtime"));
        Assert.Equal(0, grid.Count("queued", "batch"));
        Assert.Equal(0, grid.Count("submitted", "batch"));

        foreach (var e in events.Skip(4)) grid.Apply(e);
        Assert.Equal(0, grid.Count("running", "batch"));
        Assert.Equal(1, grid.Count("succeeded", "batch"));
    }

    [Fact]
    public void Should_report_submission_finish_and_first_wait_once_per_task()
    {
        var grid = new GridObservation(new ObservationLimits());
        var changes = Lifecycle("t-1", startAt: 0.25).Select(grid.Apply).ToList();

        Assert.Single(changes, c => c!.Submitted);
        Assert.Single(changes, c => c!.Finished);
        var waited = Assert.Single(changes, c => c!.FirstWait is not null);
        Assert.Equal(TimeSpan.FromMilliseconds(250), waited!.FirstWait);
        var row = changes[^1]!.Row;
        Assert.Equal("succeeded", row.State);
        Assert.Equal("edge-1", row.Node);
        Assert.Equal<double?>(250, row.WaitMs);
        Assert.Equal<double?>(1750, row.RunMs);
    }

    [Fact]
    public void Should_ignore_an_event_older_than_the_one_already_applied()
    {
        var grid = new GridObservation(new ObservationLimits());
        grid.Apply(Event("t-1", 1, "submitted", "submitted"));
        grid.Apply(Event("t-1", 4, "started", "running", node: "edge-1"));

        Assert.Null(grid.Apply(Event("t-1", 2, "queued", "queued")));
        Assert.Equal(1, grid.Count("running", "batch"));
        Assert.Equal(0, grid.Count("queued", "batch"));
    }

    [Fact]
    public void Should_keep_only_the_most_recent_finished_tasks_and_every_active_one()
    {
        var grid = new GridObservation(new ObservationLimits(RecentTasks: 3));
        for (var i = 0; i < 10; i++)
            foreach (var e in Lifecycle($"t-{i}")) grid.Apply(e);
        grid.Apply(Event("t-live", 1, "submitted", "submitted"));

        var snapshot = grid.Snapshot(T0, []);
        Assert.Equal(4, grid.TrackedTasks);
        Assert.Contains(snapshot.Tasks, t => t.Id == "t-live");
        Assert.Equal(["t-7", "t-8", "t-9"], snapshot.Tasks.Where(t => t.State == "succeeded").Select(t => t.Id).Order());
        // Counts outlive the rows: ten tasks succeeded.
        Assert.Equal(10, grid.Count("succeeded", "batch"));
    }

    [Fact]
    public void Should_forget_the_oldest_active_task_past_the_cap_and_its_count_with_it()
    {
        var grid = new GridObservation(new ObservationLimits(MaxActiveTasks: 2));
        grid.Apply(Event("t-1", 1, "submitted", "submitted"));
        grid.Apply(Event("t-2", 1, "submitted", "submitted"));
        grid.Apply(Event("t-3", 1, "submitted", "submitted"));

        Assert.Equal(2, grid.TrackedTasks);
        Assert.Equal(2, grid.Count("submitted", "batch"));
        Assert.DoesNotContain(grid.Snapshot(T0, []).Tasks, t => t.Id == "t-1");
    }

    [Fact]
    public void Should_measure_node_utilisation_per_tier_leaving_lost_nodes_out()
    {
        var grid = new GridObservation(new ObservationLimits());
        grid.Apply(Node("edge-1", "edge", 4, 8192, freeCpu: 1, freeMemory: 4096, chips: 2, runningChips: 1));
        grid.Apply(Node("edge-2", "edge", 4, 8192, freeCpu: 4, freeMemory: 8192));
        grid.Apply(Node("edge-3", "edge", 64, 65536, freeCpu: 0, freeMemory: 0, state: NodeStates.Lost));

        var edge = grid.UtilisationByTier().Where(u => u.Tier == "edge").ToDictionary(u => u.Resource, u => u.Ratio);
        Assert.Equal(3.0 / 8, edge["cpu"], 6);
        Assert.Equal(4096.0 / 16384, edge["memory"], 6);
        Assert.Equal(0.5, edge["chips"], 6);
        var row = grid.Node("edge-1")!;
        Assert.Equal(3, row.UsedCpu);
        Assert.Equal("2x ascend-310", row.ChipModels);
    }

    [Fact]
    public void Should_count_offloads_and_keep_recent_decisions_newest_first()
    {
        var grid = new GridObservation(new ObservationLimits(RecentDecisions: 2));
        grid.Apply(Decision("t-1", "edge-1", "edge", offloaded: false));
        grid.Apply(Decision("t-2", "hub-1", "hub", offloaded: true));
        grid.Apply(Decision("t-3", null, null, offloaded: false));

        var decisions = grid.Snapshot(T0, []).Decisions;
        Assert.Equal(["t-3", "t-2"], decisions.Select(d => d.Task));
        Assert.Equal(3, grid.Decisions);
        Assert.Equal(1, grid.Offloads);
    }

    [Fact]
    public void Should_chart_rates_per_second_and_wait_percentiles_over_the_window()
    {
        var grid = new GridObservation(new ObservationLimits());
        grid.Tick(T0, TimeSpan.FromSeconds(1));
        for (var i = 0; i < 100; i++)
        {
            grid.Apply(Event($"t-{i}", 1, "submitted", "submitted", atSeconds: 0));
            grid.Apply(Event($"t-{i}", 4, "started", "running", node: "edge-1", atSeconds: (i + 1) / 1000.0));
        }

        var point = grid.Tick(T0.AddSeconds(2), TimeSpan.FromSeconds(1));
        Assert.Equal(50, point.SubmittedPerSecond, 6);
        Assert.Equal(50, point.WaitP50Ms!.Value, 6);
        Assert.Equal(99, point.WaitP99Ms!.Value, 6);
        var later = grid.Tick(T0.AddMinutes(5), TimeSpan.FromSeconds(1));
        Assert.Null(later.WaitP99Ms);
        Assert.Equal(0, later.SubmittedPerSecond);
    }

    [Fact]
    public void Should_chart_the_green_share_of_placed_work_weighted_by_cpu_over_the_window()
    {
        var grid = new GridObservation(new ObservationLimits { GreenWindow = TimeSpan.FromSeconds(60) });
        // Outside the window by the time of the tick: ten idle-green cores must not drag the share down.
        grid.Apply(Decision("t-old", "edge-1", "edge", offloaded: false, greenShare: 0.0, cpu: 10, atSeconds: -120));
        grid.Apply(Decision("t-1", "edge-1", "edge", offloaded: false, greenShare: 0.9, cpu: 4));
        grid.Apply(Decision("t-2", "hub-1", "hub", offloaded: true, greenShare: 0.4, cpu: 1));
        // A node without a profile is left out, not counted as 0% green.
        grid.Apply(Decision("t-3", "edge-2", "edge", offloaded: false, greenShare: null, cpu: 2));
        // A task still waiting used no energy anywhere.
        grid.Apply(Decision("t-4", null, null, offloaded: false, greenShare: 0.0, cpu: 8));

        var point = grid.Tick(T0.AddSeconds(1), TimeSpan.FromSeconds(1));

        // (4 × 0.9 + 1 × 0.4) / 5: the unweighted mean would be 0.65, counting the unknown as 0 gives 4/7.
        Assert.Equal(0.8, point.GreenShare!.Value, 9);
        var summary = grid.Summary(T0.AddSeconds(1), []);
        Assert.Equal(0.8, summary.GreenShare!.Value, 9);
        Assert.Equal("reported", summary.GreenShareStatus);
        Assert.Equal(3, grid.PlacedWithGreenShare);
        Assert.Equal(1, grid.PlacedWithoutGreenShare);

        // Nothing placed in the last minute: no figure, but the nodes still have a profile.
        var later = grid.Tick(T0.AddMinutes(5), TimeSpan.FromSeconds(1));
        Assert.Null(later.GreenShare);
        Assert.Equal("reported", grid.Summary(T0.AddMinutes(5), []).GreenShareStatus);
    }

    [Fact]
    public void Should_say_no_green_profile_only_once_work_was_placed_on_nodes_without_one()
    {
        var grid = new GridObservation(new ObservationLimits());
        grid.Apply(Decision("t-0", null, null, offloaded: false, greenShare: 0.5, cpu: 1));
        Assert.Equal("no-placements", grid.Summary(T0, []).GreenShareStatus);

        grid.Apply(Decision("t-1", "edge-1", "edge", offloaded: false, greenShare: null, cpu: 2));
        grid.Apply(Decision("t-2", "edge-2", "edge", offloaded: false, greenShare: null, cpu: 1));

        Assert.Null(grid.Tick(T0.AddSeconds(1), TimeSpan.FromSeconds(1)).GreenShare);
        var summary = grid.Summary(T0.AddSeconds(1), []);
        Assert.Equal("no-profile", summary.GreenShareStatus);
        Assert.Null(summary.GreenShare);
    }

    [Fact]
    public void Should_weigh_placements_of_no_cores_equally_when_all_in_the_window_took_none()
    {
        var grid = new GridObservation(new ObservationLimits());
        grid.Apply(Decision("t-1", "edge-1", "edge", offloaded: false, greenShare: 0.2, cpu: 0));
        grid.Apply(Decision("t-2", "edge-1", "edge", offloaded: false, greenShare: 0.6, cpu: 0));

        Assert.Equal(0.4, grid.Tick(T0.AddSeconds(1), TimeSpan.FromSeconds(1)).GreenShare!.Value, 9);
    }

    [Fact]
    public void Should_chart_the_worst_inference_p99_of_live_workers_and_forget_quiet_ones()
    {
        var grid = new GridObservation(new ObservationLimits { InferenceStatusTtl = TimeSpan.FromSeconds(10) });
        grid.Apply(Host("edge-1", Model("aaa", p99: 12), Model("bbb", p99: 0)), T0);
        grid.Apply(Host("hub-1", Model("aaa", p99: 40)), T0.AddSeconds(-8));
        // A newer status of a host replaces its older one.
        grid.Apply(Host("edge-1", Model("aaa", p99: 15), Model("bbb", p99: 0)), T0.AddSeconds(1));

        var point = grid.Tick(T0.AddSeconds(1), TimeSpan.FromSeconds(1));

        // The worst, not the mean (27.5) of the two: percentiles of different workers do not average.
        Assert.Equal(40, point.InferenceP99Ms!.Value, 9);
        Assert.Equal(40, grid.Summary(T0.AddSeconds(1), []).InferenceP99Ms!.Value, 9);
        // bbb served nothing yet: no series for it.
        Assert.Equal(
            [new InferenceLatency("edge-1", "aaa", 15), new InferenceLatency("hub-1", "aaa", 40)],
            grid.InferenceLatencies(T0.AddSeconds(1)));

        // hub-1 last reported 11 s before this tick: gone, and its 40 ms with it.
        var later = grid.Tick(T0.AddSeconds(3), TimeSpan.FromSeconds(1));
        Assert.Equal(15, later.InferenceP99Ms!.Value, 9);
        Assert.Equal([new InferenceLatency("edge-1", "aaa", 15)], grid.InferenceLatencies(T0.AddSeconds(3)));

        Assert.Null(grid.Tick(T0.AddMinutes(1), TimeSpan.FromSeconds(1)).InferenceP99Ms);
    }

    private static InferenceHostStatus Host(string node, params ModelRunnerStatus[] models) =>
        new(new NodeId(node), "akka.tcp://actorgrid@127.0.0.1:4054", ActorRefs.Nobody, "edge", "ningbo-f03", "CN-ZJ", models, 64, T0);

    private static ModelRunnerStatus Model(string sha, double p99) => new(sha, "ready", 0, 0, 1, p99 * 0.8, 8, p99);

    private static NodeView Node(string id, string tier, double cpu, long memory, double freeCpu, long freeMemory, int chips = 0, int runningChips = 0, string state = NodeStates.Ready)
    {
        var descriptor = new NodeDescriptor(new NodeId(id), tier, "ningbo-f03", "CN-ZJ", cpu, memory,
            chips == 0 ? new List<ChipSet>() : [new ChipSet("ascend-310", chips, 8192)], 0m, 0m, new Dictionary<string, string>());
        var running = runningChips == 0
            ? Array.Empty<RunningTaskInfo>()
            : [new RunningTaskInfo(new TaskId("t-x"), 1, new ResourceRequirements(1, 128, new ChipRequirement("ascend-310", runningChips)))];
        return new NodeView(new NodeId(id), descriptor, state, "akka.tcp://actorgrid@127.0.0.1:4054",
            new NodeTelemetry(T0, freeCpu, freeMemory, running), T0);
    }

    private static PlacementDecided Decision(string task, string? node, string? tier, bool offloaded, double? greenShare = null, double cpu = 1, double atSeconds = 0) =>
        new(new TaskId(task), 1, new TenantId("acme"), "batch", node is null ? null : new NodeId(node), tier, offloaded,
            node is null ? "no node has 4 free cpu" : "least loaded", 42.5, T0.AddSeconds(atSeconds), greenShare, cpu);
}
