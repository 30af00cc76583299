using System.Diagnostics;
using System.Globalization;
using ActorGrid.Core.Placement;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;

namespace ActorGrid.Bench;

// `actorgrid-bench placement-queue`: what a deep waiting queue costs the work behind it, through a
// real PlacementActor (one-node cluster, 100 synthetic nodes whose workers bid and accept at once).
// For each depth it first queues that many requests no node fits (more cpu than any node has),
// then, while the queued tasks re-ask as task entities do (each once per queued-recheck-interval,
// spread evenly), sends one placeable request at a time and times request → AssignTask. The
// baseline is the same placeable requests with nothing queued, in the same run.
public static class PlacementQueueBenchmark
{
    private const int Nodes = 100;

    public static async Task<int> RunAsync(int[] depths, int samples, TimeSpan recheck, TextWriter output)
    {
        if (depths.Any(d => d < 0) || samples < 1 || recheck <= TimeSpan.Zero)
        {
            output.WriteLine("placement-queue: depths must be >= 0, samples >= 1 and the recheck interval positive.");
            return 2;
        }
        output.WriteLine($"placement-queue: a placeable request behind N waiting ones, through a PlacementActor ({Nodes} nodes, " +
                         $"waiting tasks re-ask every {recheck.TotalSeconds:0.#} s, {samples} samples per depth)");
        output.WriteLine($"{"waiting",9} | {"queued in ms",12} | {"placed p50 ms",13} {"p99 ms",8} | {"x empty p50",11}");
        double? emptyP50 = null;
        foreach (var depth in new[] { 0 }.Concat(depths.Where(d => d > 0)))
        {
            var (queuedMs, latencies) = await MeasureAsync(depth, samples, recheck);
            var p50 = Percentiles.Of(latencies, 50);
            emptyP50 ??= p50;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{depth,9} | {queuedMs,12:0} | {p50,13:0.00} {Percentiles.Of(latencies, 99),8:0.00} | {p50 / emptyP50,11:0.00}"));
            output.Flush();
        }
        return 0;
    }

    private static async Task<(double QueuedMs, List<double> LatencyMs)> MeasureAsync(int depth, int samples, TimeSpan recheck)
    {
        var (topology, nodes) = PlacementActorBenchmark.Grid(Nodes);
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            actorgrid.placement { bid-timeout = 2s, sweep-interval = 2s, heartbeat-timeout = 1h, reservation-grace = 1h }
            """);
        using var system = ActorSystem.Create("placement-queue-bench", config);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var tasks = system.ActorOf(Props.Create<TaskRegionStandIn>(), "tasks");
        Akka.Hosting.ActorRegistry.For(system).Register<Hosting.TaskRegionKey>(tasks);
        Akka.Hosting.ActorRegistry.For(system).Register<Hosting.NodeRegionKey>(tasks);
        var placement = system.ActorOf(PlacementActor.Props(new PlacementPolicy(topology: topology), topology), "placement");
        foreach (var node in nodes)
            placement.Tell(new NodeStatusPublished(node, system.ActorOf(Props.Create(() => new PlacementActorBenchmark.InstantWorker(node.Id)))));

        var quota = new TenantQuota(double.MaxValue, int.MaxValue);
        RequestPlacement Request(string id, double cpu) => new(new TaskId(id), 1, new TenantId("bench"), new ResourceRequirements(cpu, 64), [],
            Lanes.Batch, quota, DateTimeOffset.UtcNow, PlacementHints.None);

        // Queue `depth` requests no node fits; the queue view answering means placement took them all.
        var clock = Stopwatch.StartNew();
        var waiting = Enumerable.Range(0, depth).Select(i => Request($"t-wait-{i}", cpu: 1_000_000)).ToArray();
        foreach (var request in waiting) placement.Tell(request);
        var view = await placement.Ask<PlacementQueueView>(GetPlacementQueue.Instance, TimeSpan.FromMinutes(5));
        var queuedMs = clock.Elapsed.TotalMilliseconds;
        if (view.Waiting.Count != depth) throw new InvalidOperationException($"queued {view.Waiting.Count} of {depth}");

        // The waiting tasks re-ask while the samples run: depth per recheck interval, in 20 ms slices.
        using var stop = new CancellationTokenSource();
        var nudges = Task.Run(async () =>
        {
            var perSlice = (int)Math.Ceiling(depth * 0.02 / recheck.TotalSeconds);
            var next = 0;
            while (!stop.IsCancellationRequested && depth > 0)
            {
                for (var i = 0; i < perSlice; i++) placement.Tell(waiting[next++ % depth]);
                await Task.Delay(20);
            }
        });
        var latencies = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            var assigned = await tasks.Ask<AssignTask>(new TaskRegionStandIn.Expect(Request($"t-fit-{i}", cpu: 0.1), placement), TimeSpan.FromSeconds(60));
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            placement.Tell(new ReleasePlacement(assigned.TaskId, assigned.Attempt));
        }
        stop.Cancel();
        await nudges;
        await system.Terminate();
        return (queuedMs, latencies);
    }

    // Stands in for the task shard region: sends a placeable request for the caller and answers it
    // with that task's AssignTask; everything else placement tells tasks is dropped.
    private sealed class TaskRegionStandIn : ReceiveActor
    {
        public sealed record Expect(RequestPlacement Request, IActorRef Placement);

        public TaskRegionStandIn()
        {
            var expecting = new Dictionary<TaskId, IActorRef>();
            Receive<Expect>(e =>
            {
                expecting[e.Request.TaskId] = Sender;
                e.Placement.Tell(e.Request);
            });
            Receive<AssignTask>(a =>
            {
                if (expecting.Remove(a.TaskId, out var caller)) caller.Tell(a);
            });
            ReceiveAny(_ => { });
        }
    }
}
