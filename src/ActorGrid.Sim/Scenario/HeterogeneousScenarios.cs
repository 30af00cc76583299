using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Scenario;

// Two scenarios on a heterogeneous grid, run at the chips' speeds (hocon/chips/profiles.hocon):
//   the grid: the inspection deployment's 27 factories in two provinces, each with a Jetson Orin on
//     the line; per province a regional cloud with 8 L4s and a regional A100 node (8); two hubs in the
//     west, Guizhou with 2 x 8 H100 and Ningxia with 2 x 8 Ascend 910B.
//   gpu-trace: a workload shaped like the public GPU-cluster traces (Philly, Helios): most jobs 1 GPU,
//     some 2/4/8, log-normal run times (median 20 min on an A100, a heavy tail to 48 h), Poisson
//     arrivals at about 15% of the grid's training capacity; --arrival-scale K makes it K times denser.
//   gpu-trace-fair: the same jobs on the grid without its edge Orins (regional and hub nodes only),
//     so a speed-blind baseline cannot lose by training on a Jetson: what is left is choosing among
//     datacenter chips, waiting for a faster one, the queue order and packing.
//   campaign: the seed's training campaign: every factory retrains its dial-reading model (2 chips,
//     8 h on A100s) and its weld-detection model (4 chips, 12 h) at once, a third of them kept in
//     their province, while realtime inspection (80 ms SLA) runs at the edge for the first hours.
public static class HeterogeneousScenarios
{
    public const string GpuTrace = "gpu-trace";
    public const string Campaign = "campaign";
    public const string GpuTraceFair = "gpu-trace-fair";

    public static SimInputs Grid(ChipProfiles profiles, out List<(string Site, string Zone)> factories) =>
        Grid(profiles, edge: true, out factories);

    // Without `edge`, the factories are still sites (origins) but have no node.
    public static SimInputs Grid(ChipProfiles profiles, bool edge, out List<(string Site, string Zone)> factories)
    {
        var sites = new List<TopologySite>();
        var nodes = new List<InventoryNode>();
        factories = [];
        (string Zone, string Province, string Regional, string City, string[] Cities, int Factories, double[] Green)[] provinces =
        [
            ("CN-ZJ", "zhejiang", "hangzhou-r1", "hangzhou", ["ningbo", "hangzhou", "shaoxing", "jiaxing", "wenzhou"], 14, InspectionScenario.ZhejiangGreen),
            ("CN-JS", "jiangsu", "nanjing-r1", "nanjing", ["suzhou", "wuxi", "changzhou", "nanjing"], 13, InspectionScenario.JiangsuGreen),
        ];
        foreach (var p in provinces)
        {
            sites.Add(new TopologySite(p.Regional, Tiers.Regional, p.City, p.Province));
            var green = p.Green.Select(g => Math.Min(1, g + 0.08)).ToArray();
            nodes.Add(Node($"regional-{p.Regional}-l4", Tiers.Regional, p.Regional, p.Zone, 96, 393_216, new ChipSet("nvidia-l4", 8, 24_576), 0.80m, 0.02m, green));
            nodes.Add(Node($"regional-{p.Regional}-a100", Tiers.Regional, p.Regional, p.Zone, 128, 1_048_576, new ChipSet("nvidia-a100", 8, 81_920), 1.60m, 0.02m, green));
            for (var f = 0; f < p.Factories; f++)
            {
                var city = p.Cities[f % p.Cities.Length];
                var site = $"{city}-f{f + 1:00}";
                sites.Add(new TopologySite(site, Tiers.Edge, city, p.Province));
                if (edge) nodes.Add(Node($"edge-{site}", Tiers.Edge, site, p.Zone, 8, 16_384, new ChipSet("jetson-orin", 1, 16_384), 0.05m, 0.005m, p.Green));
                factories.Add((site, p.Zone));
            }
        }
        sites.Add(new TopologySite("guizhou-h1", Tiers.Hub, "guiyang", "guizhou"));
        sites.Add(new TopologySite("ningxia-h1", Tiers.Hub, "zhongwei", "ningxia"));
        for (var i = 1; i <= 2; i++)
        {
            nodes.Add(Node($"hub-guizhou-h100-{i}", Tiers.Hub, "guizhou-h1", "CN-GZ", 192, 1_572_864, new ChipSet("nvidia-h100", 8, 81_920), 2.20m, 0.01m, InspectionScenario.GuizhouGreen));
            nodes.Add(Node($"hub-ningxia-910b-{i}", Tiers.Hub, "ningxia-h1", "CN-NX", 192, 1_572_864, new ChipSet("ascend-910b", 8, 65_536), 1.20m, 0.01m, InspectionScenario.NingxiaGreen));
        }
        return new SimInputs(new Topology(sites, Topology.PublicFigures, []), nodes, [], profiles);
    }

    public static SimInputs BuildGpuTrace(int seed, ChipProfiles profiles, double days = 7) =>
        BuildGpuTrace(seed, profiles, edge: true, days);

    // The same jobs with or without the edge nodes (gpu-trace or gpu-trace-fair).
    public static SimInputs BuildGpuTrace(int seed, ChipProfiles profiles, bool edge, double days = 7)
    {
        var grid = Grid(profiles, edge, out _);
        var rng = new SplitMix64(new SplitMix64((ulong)seed ^ 0x6B7A_CE11UL).Next());
        var rows = new List<TraceRow>();
        var horizon = days * 86_400;
        for (var t = rng.Exponential(770); t < horizon; t += rng.Exponential(770))
        {
            var u = rng.NextDouble();
            var chips = u < 0.6 ? 1 : u < 0.75 ? 2 : u < 0.9 ? 4 : 8;
            var duration = Math.Clamp(1200 * Math.Exp(1.5 * Normal(rng)), 60, 48 * 3600);
            rows.Add(new TraceRow(Math.Round(t, 3), $"user-{rng.Below(40):00}", "training", Lanes.Batch, 4 * chips, 16_384L * chips,
                ChipDemand.AnyModelName, chips, Math.Round(duration), null, null, null, []));
        }
        return grid with { Trace = rows };
    }

    public static SimInputs BuildCampaign(int seed, ChipProfiles profiles, double realtimeHours = 4)
    {
        var grid = Grid(profiles, out var factories);
        var rng = new SplitMix64(new SplitMix64((ulong)seed ^ 0xCA4B_A161UL).Next());
        var rows = new List<TraceRow>();
        for (var f = 0; f < factories.Count; f++)
        {
            var (site, zone) = factories[f];
            var tenant = $"factory-{f + 1:00}";
            string[] zones = f % 3 == 0 ? [zone] : [];
            // Both models retrained at the start of the campaign, a few minutes apart per factory.
            var at = Math.Round(rng.Between(0, 600), 3);
            rows.Add(new TraceRow(at, tenant, "retraining", Lanes.Batch, 8, 65_536, ChipDemand.AnyModelName, 2,
                Math.Round(8 * 3600 * rng.Between(0.85, 1.15)), site, null, null, zones));
            rows.Add(new TraceRow(at + 1, tenant, "retraining", Lanes.Batch, 16, 131_072, ChipDemand.AnyModelName, 4,
                Math.Round(12 * 3600 * rng.Between(0.85, 1.15)), site, null, null, zones));
            // Realtime inspection on the line meanwhile: bursts of frames, 5 ms each on an A100
            // (about 33 ms on the Jetson), 80 ms end to end.
            for (var t = rng.Exponential(60); t < realtimeHours * 3600; t += rng.Exponential(60))
            {
                var frames = 1 + rng.Below(6);
                for (var k = 0; k < frames; k++)
                    rows.Add(new TraceRow(t + k * 0.002, tenant, "inference", Lanes.Realtime, 0.5, 512, ChipDemand.AnyModelName, 1,
                        Math.Round(rng.Between(0.004, 0.006), 4), site, 80, null, zones));
            }
        }
        rows.Sort((a, b) => a.SubmitS.CompareTo(b.SubmitS));
        return grid with { Trace = rows };
    }

    private static double Normal(SplitMix64 rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static InventoryNode Node(string id, string tier, string site, string zone, double cpu, long memory, ChipSet chips,
        decimal chipPrice, decimal corePrice, double[] green) =>
        new(new NodeDescriptor(new NodeId(id), tier, site, zone, cpu, memory, [chips], chipPrice, corePrice,
            new Dictionary<string, string>(), green), NodeStates.Ready);
}
