using Akka.Actor;
using Akka.Cluster;
using Prometheus;

namespace ActorGrid.Gateway.Observability;

// The gateway's Prometheus metrics, served at /metrics. GridObserver feeds the task, placement
// and node families from the pub-sub topics; the streaming endpoints count their subscribers;
// cluster membership is read from this host's view at scrape time. The journal's write latency
// is defined beside the entities that persist (ActorGrid.Core.Observability.JournalMetrics).
// No tenant ids in labels: /metrics is readable without a token and label sets must stay small.
public static class GridMetrics
{
    public static readonly Gauge Tasks = Metrics.CreateGauge(
        "actorgrid_tasks",
        "Tasks per state and lane as this gateway has seen them: active states count tasks in them now, terminal states count tasks that reached them since the gateway started.",
        new GaugeConfiguration { LabelNames = ["state", "lane"] });

    public static readonly Counter TasksSubmitted = Metrics.CreateCounter(
        "actorgrid_tasks_submitted_total", "Tasks submitted, per lane.", new CounterConfiguration { LabelNames = ["lane"] });

    public static readonly Counter TasksFinished = Metrics.CreateCounter(
        "actorgrid_tasks_finished_total", "Tasks that reached a terminal state (succeeded, failed, cancelled), per lane.",
        new CounterConfiguration { LabelNames = ["lane", "state"] });

    public static readonly Histogram SubmitToRunning = Metrics.CreateHistogram(
        "actorgrid_task_submit_to_running_seconds", "Time from a task's submission until its first attempt started running, per lane.",
        new HistogramConfiguration
        {
            LabelNames = ["lane"],
            // 5 ms .. ~5.5 min: an idle edge node starts work in milliseconds, a full grid queues batch work for minutes.
            Buckets = Histogram.ExponentialBuckets(0.005, 2, 17),
        });

    public static readonly Gauge QueueLength = Metrics.CreateGauge(
        "actorgrid_queue_length", "Tasks waiting for placement (state queued), per lane.", new GaugeConfiguration { LabelNames = ["lane"] });

    public static readonly Histogram PlacementDecision = Metrics.CreateHistogram(
        "actorgrid_placement_decision_seconds", "Time the placement policy took per decision; result is placed or waiting.",
        new HistogramConfiguration
        {
            LabelNames = ["result"],
            // 1 µs .. ~0.5 s around the 1 ms p99 target.
            Buckets = Histogram.ExponentialBuckets(0.000001, 2.5, 15),
        });

    public static readonly Counter PlacementDecisions = Metrics.CreateCounter(
        "actorgrid_placement_decisions_total", "Placement decisions; result is placed or waiting.", new CounterConfiguration { LabelNames = ["result"] });

    public static readonly Counter Offloads = Metrics.CreateCounter(
        "actorgrid_placement_offloads_total", "Placements above the tier of the task's origin, per tier placed on.",
        new CounterConfiguration { LabelNames = ["tier"] });

    public static readonly Gauge Nodes = Metrics.CreateGauge(
        "actorgrid_nodes", "Nodes per tier and state (ready, cordoned, draining, lost).", new GaugeConfiguration { LabelNames = ["tier", "state"] });

    public static readonly Gauge NodeUtilisation = Metrics.CreateGauge(
        "actorgrid_node_utilisation_ratio", "Share of capacity taken by running attempts over the nodes of a tier that are not lost; resource is cpu, memory or chips.",
        new GaugeConfiguration { LabelNames = ["tier", "resource"] });

    // Workers keep the latencies of their last requests per model and publish percentiles, not
    // samples, so this is a gauge of the worker's own figure, not a histogram built here.
    public static readonly Gauge InferenceP99 = Metrics.CreateGauge(
        "actorgrid_inference_p99_seconds",
        "p99 of queue+compute time over the recent requests of a model (by SHA-256) on a worker node, as the worker last reported it; absent for models that served no request yet.",
        new GaugeConfiguration { LabelNames = ["node", "model"] });

    public static readonly Gauge ClusterMembers = Metrics.CreateGauge(
        "actorgrid_cluster_members", "Cluster members by status, as this host sees them at scrape time.", new GaugeConfiguration { LabelNames = ["status"] });

    public static readonly Gauge UnreachableMembers = Metrics.CreateGauge(
        "actorgrid_cluster_unreachable_members", "Members this host's failure detector considers unreachable, at scrape time.");

    public static readonly Gauge SseSubscribers = Metrics.CreateGauge(
        "actorgrid_sse_subscribers", "Open Server-Sent Event streams; stream is task-events or dashboard.",
        new GaugeConfiguration { LabelNames = ["stream"] });

    // Counts one open stream until the returned handle is disposed.
    public static IDisposable TrackSseSubscriber(string stream) => SseSubscribers.WithLabels(stream).TrackInProgress();

    private static readonly string[] MemberStatuses = ["joining", "weaklyup", "up", "leaving", "exiting", "down", "removed"];
    private static ActorSystem? _system;
    private static int _registered;

    // Membership is read when Prometheus asks, so the number is never older than the scrape.
    public static void ReadMembershipAtScrape(ActorSystem system)
    {
        Volatile.Write(ref _system, system);
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            if (Volatile.Read(ref _system) is not { WhenTerminated.IsCompleted: false } current) return;
            var state = Cluster.Get(current).State;
            var byStatus = state.Members.GroupBy(m => m.Status.ToString().ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Count());
            foreach (var status in MemberStatuses) ClusterMembers.WithLabels(status).Set(byStatus.GetValueOrDefault(status));
            UnreachableMembers.Set(state.Unreachable.Count);
        });
    }
}
