using System.Diagnostics;
using System.Globalization;
using ActorGrid.Core.Placement;
using ActorGrid.Placement;
using ActorGrid.Placement.Benchmarks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;

namespace ActorGrid.Bench;

// The live placement actor's decision path, as its TryPlace/OnConcluded run it: the shortlist
// (CandidateShortlist.Build over the view's incrementally kept inventory), then the view updates
// that follow (the hold on the likeliest winner, the award moving it, and an older placement's
// release so the grid stays in a steady state). Against it, in the same run on the same nodes
// and requests, the old path that rebuilt the inventory from the view for every decision.
// Also times one heartbeat (a node's view refreshed), the cost the incremental inventory moves
// from decisions to node updates. Prints figures; asserts nothing (the machines are shared).
public static class PlacementActorBenchmark
{
    private static readonly string[] Zones = SyntheticGrid.Zones;
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));
    private const string Member = "akka.tcp://actorgrid@127.0.0.1:4053";

    // Placements held at once; beyond it the oldest is released, as finished tasks would be.
    private const int Outstanding = 1_000;

    public static Task<int> RunAsync(int[] nodeCounts, int decisions, TextWriter output)
    {
        if (nodeCounts.Length == 0 || nodeCounts.Any(n => n < 1) || decisions < 1)
        {
            output.WriteLine("placement-actor: node counts and the number of decisions must be positive.");
            return Task.FromResult(2);
        }
        output.WriteLine("live placement decision path: CandidateShortlist.Build + the view updates after an award (hold, award, release of");
        output.WriteLine("an older placement); demand mix: 30% zone-restricted realtime, 20% open realtime, 20% H100 batch, 30% open CPU interactive");
        output.WriteLine();
        output.WriteLine($"{"nodes",8} | {"live/s",9} {"p50 us",9} {"p99 us",9} | {"rebuild/s",9} {"p50 us",9} {"p99 us",9} | {"p99 ratio",9} {"speed-up",8} | {"heartbeat p50/p99 us",20} | same");
        var failFasts = new List<(int Nodes, Figures Figures)>();
        foreach (var n in nodeCounts)
        {
            var (topology, nodes) = Grid(n);
            var requests = Requests(new Random(n + 1), topology);
            var policy = new PlacementPolicy(topology: topology);

            // Two views fed the same nodes and requests: one keeps its inventory (asked for once, so it
            // follows every change), the other never builds one and is rebuilt from per decision.
            var live = Fill(nodes);
            live.Inventory(topology);
            var old = Fill(nodes);

            var liveRun = new Run(live, requests);
            var oldRun = new Run(old, requests);
            // The same warm-up on both, so their decisions stay comparable one for one.
            const int warmup = 10;
            var liveFigures = Measure(decisions, warmup, i => liveRun.Decide(i, view => CandidateShortlist.Build(requests[i % requests.Count], view, policy, topology, Now)));
            var oldDecisions = n switch { <= 1_000 => Math.Min(decisions, 2_000), <= 10_000 => Math.Min(decisions, 200), _ => Math.Min(decisions, 10) };
            var oldFigures = Measure(oldDecisions, warmup, i => oldRun.Decide(i, view => CandidateShortlist.Build(requests[i % requests.Count], view, view.Rebuild(topology), policy, Now)));

            // Both made the same choices for the decisions they share: the incremental inventory decides
            // exactly as a rebuilt one.
            var shared = Math.Min(liveRun.Chosen.Count, oldRun.Chosen.Count);
            var same = liveRun.Chosen.Take(shared).SequenceEqual(oldRun.Chosen.Take(shared));

            var rng = new Random(n);
            var heartbeat = Measure(Math.Min(decisions, 20_000), 50, _ =>
            {
                var slot = nodes[rng.Next(nodes.Count)];
                live.Update(slot with { LastHeartbeat = Now }, null);
            });

            // A realtime request that has already missed its SLA: the policy fails it fast and the
            // shortlist asks for a preemption plan, a scan over every node with evictable work.
            var late = requests[0] with { SubmittedAt = Now.AddSeconds(-1) };
            var failFast = Measure(Math.Min(decisions, 2_000), 10, _ => CandidateShortlist.Build(late, live, policy, topology, Now));
            failFasts.Add((n, failFast));

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,8} | {liveFigures.PerSecond,9:0} {liveFigures.P50Us,9:0.0} {liveFigures.P99Us,9:0.0} | {oldFigures.PerSecond,9:0} {oldFigures.P50Us,9:0.0} {oldFigures.P99Us,9:0.0} | {liveFigures.P99Us / oldFigures.P99Us,9:0.0000} {oldFigures.MeanUs / liveFigures.MeanUs,7:0.0}x | {heartbeat.P50Us,9:0.0} /{heartbeat.P99Us,9:0.0} | {(same ? "yes" : "NO")}"));
            output.Flush();
        }
        output.WriteLine();
        output.WriteLine("realtime past its SLA (fail fast + preemption planning), live path:");
        foreach (var (n, f) in failFasts)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,8} | {f.PerSecond,9:0}/s  p50 {f.P50Us,9:0.0} us  p99 {f.P99Us,9:0.0} us"));
        output.WriteLine();
        output.WriteLine("live = incremental inventory; rebuild = the inventory rebuilt from the view per decision (the old path), fewer decisions");
        output.WriteLine("at large node counts. p99 ratio = live p99 / rebuild p99 (lower is better); speed-up = rebuild mean / live mean;");
        output.WriteLine("heartbeat = one node's view refreshed into the live inventory; same = both paths chose the same nodes.");
        return Task.FromResult(0);
    }

    // The same decisions through a real PlacementActor in a one-node cluster: requests sent as
    // messages, each node's worker a tiny actor that bids and accepts at once, `inFlight` requests
    // outstanding. Prints the actor's own decision time (CandidateShortlist.Build, as it reports it in
    // PlacementDecided) and request→assignment through the whole contract-net round.
    public static async Task<int> RunThroughActorAsync(int[] nodeCounts, int placements, int inFlight, TextWriter output)
    {
        if (nodeCounts.Length == 0 || nodeCounts.Any(n => n < 1) || placements < 1 || inFlight < 1)
        {
            output.WriteLine("placement-actor: node counts, placements and requests in flight must be positive.");
            return 2;
        }
        output.WriteLine($"through a PlacementActor (one-node cluster, workers bid and accept at once, {inFlight} requests in flight)");
        output.WriteLine($"{"nodes",8} | {"placed/s",9} | {"decision p50 us",15} {"p99 us",9} | {"request→assigned p50 ms",23} {"p99 ms",8} | unplaced");
        foreach (var n in nodeCounts)
        {
            var (topology, nodes) = Grid(n);
            var requests = Requests(new Random(n + 1), topology);
            var config = Akka.Configuration.ConfigurationFactory.ParseString("""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.loglevel = WARNING
                actorgrid.placement { bid-timeout = 2s, sweep-interval = 1h, heartbeat-timeout = 1h, reservation-grace = 1h, max-concurrent-negotiations = 64 }
                """);
            using var system = ActorSystem.Create("placement-bench", config);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var cluster = Akka.Cluster.Cluster.Get(system);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            cluster.Join(cluster.SelfAddress);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var done = new TaskCompletionSource<ActorDriver.Outcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            var driver = system.ActorOf(Props.Create(() => new ActorDriver(requests, placements, inFlight, done)), "driver");
            Akka.Hosting.ActorRegistry.For(system).Register<Hosting.TaskRegionKey>(driver);
            Akka.Hosting.ActorRegistry.For(system).Register<Hosting.NodeRegionKey>(driver);
            var placement = system.ActorOf(PlacementActor.Props(new PlacementPolicy(topology: topology), topology), "placement");
            foreach (var node in nodes)
            {
                var worker = system.ActorOf(Props.Create(() => new InstantWorker(node.Id)));
                placement.Tell(new NodeStatusPublished(node, worker));
            }
            driver.Tell(new ActorDriver.Start(placement));
            var outcome = await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,8} | {outcome.PerSecond,9:0} | {Percentiles.Of(outcome.DecisionMicros, 50),15:0.0} {Percentiles.Of(outcome.DecisionMicros, 99),9:0.0} | {Percentiles.Of(outcome.LatencyMs, 50),23:0.00} {Percentiles.Of(outcome.LatencyMs, 99),8:0.00} | {outcome.Unplaced}"));
            output.Flush();
            await system.Terminate();
        }
        return 0;
    }

    // Bids for its node and accepts every award: the negotiation round costs only messages.
    internal sealed class InstantWorker : ReceiveActor
    {
        public InstantWorker(NodeId node)
        {
            Receive<CallForBids>(cfp => Sender.Tell(new BidSubmitted(cfp.TaskId, cfp.Attempt, cfp.Round, node, 0, 0, 0, 0, 0)));
            Receive<AwardTask>(award => Sender.Tell(new AwardAccepted(award.TaskId, award.Attempt, award.Round, node)));
            ReceiveAny(_ => { });
        }
    }

    // Stands in for the task shard region: sends requests, keeps `inFlight` outstanding, releases
    // the oldest placement beyond Outstanding (as finished tasks would) and reads the decision
    // times the placement actor publishes.
    private sealed class ActorDriver : ReceiveActor
    {
        public sealed record Start(IActorRef Placement);

        public sealed record Outcome(List<double> DecisionMicros, List<double> LatencyMs, double PerSecond, int Unplaced);

        private readonly Dictionary<TaskId, (RequestPlacement Request, long SentAt)> _pending = new();
        private readonly Queue<TaskId> _held = new();
        private readonly List<double> _decisionMicros = [];
        private readonly List<double> _latencyMs = [];
        private IActorRef _placement = ActorRefs.Nobody;
        private int _sent;
        private int _finished;
        private int _unplaced;
        private long _startedAt;

        public ActorDriver(IReadOnlyList<RequestPlacement> requests, int placements, int inFlight, TaskCompletionSource<Outcome> done)
        {
            Receive<Start>(start =>
            {
                _placement = start.Placement;
                var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Context.System).Mediator;
                mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe(Topics.PlacementDecisions, Self));
            });
            Receive<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(_ =>
            {
                _startedAt = Stopwatch.GetTimestamp();
                for (var i = 0; i < inFlight; i++) SendNext();
            });
            Receive<AssignTask>(assigned =>
            {
                if (!_pending.Remove(assigned.TaskId, out var sent)) return;
                _latencyMs.Add(Stopwatch.GetElapsedTime(sent.SentAt).TotalMilliseconds);
                _held.Enqueue(assigned.TaskId);
                if (_held.Count > Outstanding) _placement.Tell(new ReleasePlacement(_held.Dequeue(), 1));
                Finish();
            });
            Receive<PlacementDecided>(decided =>
            {
                if (decided.Node is not null) _decisionMicros.Add(decided.DecisionMicros);
                else if (_pending.Remove(decided.TaskId))
                {
                    // Not placeable now: take it out of the queue so the run does not wait on it.
                    _unplaced++;
                    _placement.Tell(new ReleasePlacement(decided.TaskId, decided.Attempt));
                    Finish();
                }
            });
            Receive<RefusePlacement>(refused =>
            {
                if (!_pending.Remove(refused.TaskId)) return;
                _unplaced++;
                Finish();
            });
            ReceiveAny(_ => { });

            void SendNext()
            {
                if (_sent >= placements) return;
                var template = requests[_sent % requests.Count];
                var request = template with { TaskId = new TaskId($"{template.TaskId.Value}-{_sent}"), SubmittedAt = DateTimeOffset.UtcNow };
                _sent++;
                _pending[request.TaskId] = (request, Stopwatch.GetTimestamp());
                _placement.Tell(request);
            }

            void Finish()
            {
                _finished++;
                if (_finished == placements)
                    done.TrySetResult(new Outcome(_decisionMicros, _latencyMs, placements / Stopwatch.GetElapsedTime(_startedAt).TotalSeconds, _unplaced));
                else SendNext();
            }
        }
    }

    private readonly record struct Figures(double PerSecond, double P50Us, double P99Us, double MeanUs);

    // Steps 0..warmup-1 warm up (JIT, caches) outside the samples; then `count` steps are timed.
    private static Figures Measure(int count, int warmup, Action<int> step)
    {
        for (var i = 0; i < warmup; i++) step(i);
        var samples = new double[count];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            step(warmup + i);
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        var total = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Array.Sort(samples);
        return new Figures(count / total, Protocol.Percentiles.NearestRank(samples, 0.50), Protocol.Percentiles.NearestRank(samples, 0.99), samples.Average());
    }

    // One view's run of decisions: each placed request is held, awarded and, once more than
    // Outstanding are held, the oldest is released, exactly through the view's own methods.
    private sealed class Run(CapacityView view, IReadOnlyList<RequestPlacement> requests)
    {
        private readonly Queue<TaskId> _held = new();

        public List<NodeId?> Chosen { get; } = [];

        public void Decide(int i, Func<CapacityView, CandidateShortlist.Result> build)
        {
            var result = build(view);
            var request = requests[i % requests.Count];
            var task = new TaskId($"{request.TaskId.Value}-{i}");
            if (result.Outcome != PlacementOutcome.Placed || result.Shortlist.Count == 0)
            {
                Chosen.Add(null);
                return;
            }
            var winner = result.Shortlist[0];
            view.Reserve(winner.Node, ReservationOf(task, request, winner.Requirements)); // the hold while the round runs
            view.Reserve(winner.Node, ReservationOf(task, request, winner.Requirements)); // the award
            Chosen.Add(winner.Node);
            _held.Enqueue(task);
            if (_held.Count > Outstanding) view.Release(_held.Dequeue());
        }

        private static Reservation ReservationOf(TaskId task, RequestPlacement request, ResourceRequirements requirements) =>
            new(task, 1, request.Tenant, requirements, Now, request.Lane, request.Hints?.Preemptible ?? false);
    }

    private static CapacityView Fill(IReadOnlyList<NodeView> nodes)
    {
        var view = new CapacityView();
        var rng = new Random(nodes.Count);
        foreach (var node in nodes)
        {
            view.Update(node, ActorRefs.Nobody);
            // Partly busy: what already runs there, as the worker's telemetry would show it.
            var d = node.Descriptor!;
            var busy = rng.NextDouble();
            var chip = d.Chips[0];
            var used = (int)(chip.Count * busy);
            view.Reserve(d.Id, new Reservation(new TaskId($"running-{d.Id.Value}"), 1, new TenantId("background"),
                new ResourceRequirements(Math.Round(d.Cpu * busy, 2), (long)(d.MemoryMiB * busy), used > 0 ? new ChipRequirement(chip.Model, used) : null), Now));
        }
        return view;
    }

    // The synthetic grid the simulator's policy bench decides over, as live node views.
    internal static (Topology, List<NodeView>) Grid(int n)
    {
        var rng = new Random(n);
        var topology = SyntheticGrid.BuildTopology();
        var nodes = new List<NodeView>(n);
        for (var i = 0; i < n; i++)
        {
            var d = SyntheticGrid.Node(i, topology.Sites[rng.Next(topology.Sites.Count)]);
            var state = rng.NextDouble() < 0.02 ? NodeStates.Cordoned : NodeStates.Ready;
            nodes.Add(new NodeView(d.Id, d, state, Member, new NodeTelemetry(Now, d.Cpu, d.MemoryMiB, []), Now));
        }
        return (topology, nodes);
    }

    private static List<RequestPlacement> Requests(Random rng, Topology topology)
    {
        // Just arrived: an SLA counts from submission, so older requests would all have missed it.
        var submitted = Now;
        var requests = new List<RequestPlacement>();
        var quota = new TenantQuota(double.MaxValue, int.MaxValue);
        for (var i = 0; i < 100; i++)
        {
            var origin = topology.Sites[rng.Next(topology.Sites.Count)].Name;
            var id = new TaskId($"t-{i}");
            var tenant = new TenantId("bench");
            requests.Add((i % 10) switch
            {
                < 3 => new RequestPlacement(id, 1, tenant, new ResourceRequirements(0.5, 512, new ChipRequirement(ChipRequirement.AnyModel, 1)),
                    [Zones[rng.Next(Zones.Length)]], Lanes.Realtime, quota, submitted, new PlacementHints(origin, 80, InputSizeMiB: 0.5)),
                < 5 => new RequestPlacement(id, 1, tenant, new ResourceRequirements(0.5, 512, new ChipRequirement(ChipRequirement.AnyModel, 1)),
                    [], Lanes.Realtime, quota, submitted, new PlacementHints(origin, 80, InputSizeMiB: 0.5)),
                < 7 => new RequestPlacement(id, 1, tenant, new ResourceRequirements(16, 131_072, new ChipRequirement("nvidia-h100", 4)),
                    [], Lanes.Batch, quota, submitted, new PlacementHints(origin, InputSizeMiB: 2000, Preemptible: true, ExpectedDurationSeconds: 3 * 3600)),
                _ => new RequestPlacement(id, 1, tenant, new ResourceRequirements(2, 4096), [], Lanes.Interactive, quota, submitted,
                    new PlacementHints(origin, 5_000, ExpectedDurationSeconds: 2)),
            });
        }
        return requests;
    }
}
