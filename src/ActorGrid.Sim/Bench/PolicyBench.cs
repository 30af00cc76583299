using System.Diagnostics;
using System.Globalization;
using ActorGrid.Placement;
using ActorGrid.Placement.Benchmarks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Sim.Bench;

// Decision latency and throughput of PlacementPolicy.Decide over synthetic inventories, against
// the foundation's ConstraintPlacementPolicy (LINQ sort, a reason string per node) on the same
// nodes and demands in the same run. Prints figures; asserts nothing (the machines are shared).
public static class PolicyBench
{
    public static void Run(IReadOnlyList<int> nodeCounts, TextWriter output)
    {
        output.WriteLine("placement decision latency (single thread; demand mix: 30% zone-restricted realtime, 20% open realtime,");
        output.WriteLine("20% H100 batch, 30% open CPU interactive that must look at every node)");
        output.WriteLine();
        output.WriteLine($"{"nodes",8} | {"actorgrid/s",12} {"p50 us",9} {"p99 us",9} | {"baseline/s",11} {"p50 us",9} {"p99 us",9} | {"p99 ratio",9} {"speed-up",9}");
        foreach (var n in nodeCounts)
        {
            var rng = new SplitMix64((ulong)n);
            var (topology, descriptors, capacities) = Inventory(n, rng);
            var inventory = NodeInventory.From(capacities, topology);
            var demands = Demands(rng, topology);
            var now = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8));
            var policy = new PlacementPolicy();

            var ours = Measure(n <= 10_000 ? 20_000 : 2_000, i => policy.Decide(demands[i % demands.Count], inventory, now).Outcome);
            var baseline = new ConstraintPlacementPolicy();
            var queries = demands.Select(d => new PlacementQuery(d.TaskId,
                new ResourceRequirements(d.Cpu, d.MemoryMiB, d.Chips is { Model: { } m } c ? new ChipRequirement(m, c.Count) : null),
                d.AllowedZones, d.Lane)).ToList();
            var theirs = Measure(n switch { <= 1_000 => 2_000, <= 10_000 => 200, _ => 20 }, i => baseline.Decide(queries[i % queries.Count], capacities).Chosen);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,8} | {ours.PerSecond,12:0} {ours.P50Us,9:0.0} {ours.P99Us,9:0.0} | {theirs.PerSecond,11:0} {theirs.P50Us,9:0.0} {theirs.P99Us,9:0.0} | {ours.P99Us / theirs.P99Us,9:0.000} {theirs.MeanUs / ours.MeanUs,8:0.0}x"));
            GC.KeepAlive(descriptors);
        }
        output.WriteLine();
        output.WriteLine("p99 ratio = actorgrid p99 / baseline p99 (lower is better); speed-up = baseline mean / actorgrid mean.");
    }

    private readonly record struct Figures(double PerSecond, double P50Us, double P99Us, double MeanUs);

    private static Figures Measure<T>(int decisions, Func<int, T> decide)
    {
        for (var i = 0; i < Math.Min(200, decisions); i++) decide(i);
        var samples = new double[decisions];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < decisions; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            decide(i);
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        var total = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Array.Sort(samples);
        return new Figures(decisions / total, Percentiles.NearestRank(samples, 0.50), Percentiles.NearestRank(samples, 0.99), samples.Average());
    }

    private static readonly string[] Zones = SyntheticGrid.Zones;

    // The shared synthetic grid, partly busy, a few nodes cordoned.
    private static (Topology, List<NodeDescriptor>, List<NodeCapacity>) Inventory(int n, SplitMix64 rng)
    {
        var topology = SyntheticGrid.BuildTopology();
        var descriptors = new List<NodeDescriptor>(n);
        var capacities = new List<NodeCapacity>(n);
        for (var i = 0; i < n; i++)
        {
            var d = SyntheticGrid.Node(i, topology.Sites[rng.Below(topology.Sites.Count)]);
            var (cpu, mem, chip) = (d.Cpu, d.MemoryMiB, d.Chips[0]);
            var busy = rng.NextDouble();
            var state = rng.NextDouble() < 0.02 ? NodeStates.Cordoned : NodeStates.Ready;
            descriptors.Add(d);
            capacities.Add(new NodeCapacity(d, state, cpu * (1 - busy), (long)(mem * (1 - busy)),
                new Dictionary<string, int> { [chip.Model] = (int)(chip.Count * (1 - busy)) }, TimeSpan.FromMilliseconds(rng.Below(20))));
        }
        return (topology, descriptors, capacities);
    }

    private static List<TaskDemand> Demands(SplitMix64 rng, Topology topology)
    {
        // 5 ms before the decision, as a request just through the gateway: a realtime task's 80 ms
        // SLA is then still open and the bench times the full scoring path, not the fail-fast one.
        var submitted = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(8)).AddMilliseconds(-5);
        var demands = new List<TaskDemand>();
        for (var i = 0; i < 100; i++)
        {
            var origin = topology.Sites[rng.Below(topology.Sites.Count)].Name;
            var id = new TaskId($"t-{i}");
            demands.Add((i % 10) switch
            {
                < 3 => new TaskDemand(id, 0.5, 512, ChipDemand.Any(1), Lanes.Realtime, submitted, [Zones[rng.Below(Zones.Length)]],
                    origin, 80, InputMb: 0.5, ExpectedDuration: TimeSpan.FromMilliseconds(30)),
                < 5 => new TaskDemand(id, 0.5, 512, ChipDemand.Any(1), Lanes.Realtime, submitted, [], origin, 80,
                    InputMb: 0.5, ExpectedDuration: TimeSpan.FromMilliseconds(30)),
                < 7 => new TaskDemand(id, 16, 131_072, new ChipDemand("nvidia-h100", 4), Lanes.Batch, submitted, [], origin,
                    InputMb: 2000, Preemptible: true, ExpectedDuration: TimeSpan.FromHours(3)),
                _ => new TaskDemand(id, 2, 4096, null, Lanes.Interactive, submitted, [], origin, 5_000, ExpectedDuration: TimeSpan.FromSeconds(2)),
            });
        }
        return demands;
    }
}
