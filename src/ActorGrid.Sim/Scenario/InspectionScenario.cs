using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Scenario;

// The motivating deployment: instrument makers' factories doing vision inspection.
//   27 factories in two provinces (14 in Zhejiang, 13 in Jiangsu), each with an edge gateway:
//     8 cores and one small GPU (Jetson Orin) on the line;
//   one regional cloud per province (eight L4s); two national hubs (sixteen H100s each) in the west;
//   work: realtime inspection inference in bursts near the line (80 ms SLA), interactive
//     analysis of a batch of images, hours-long batch training, deferrable retraining with a deadline;
//   a third of the factories restrict their data to their own province.
// Latencies are the public figures (1 ms city, 5 ms province, 7 ms cross-region, 10 ms hub).
public static class InspectionScenario
{
    public const string Name = "inspection";

    // Green (renewable) share of supply by hour of day, China Standard Time. Illustrative shapes
    // scaled to public figures, not measurements:
    //   - the coastal provinces are coal-heavy grids where renewables (hydro, wind, a lot of
    //     rooftop solar) supply roughly a fifth to a quarter of the energy: low at night, a solar
    //     bump at midday. Zhejiang has more hydro and distributed solar than Jiangsu, so it is a
    //     little greener at every hour; Jiangsu's offshore wind keeps its nights from zero.
    //   - regional clouds buy green power on top of the provincial mix (+8 points all day).
    //   - the western hubs are the "East Data West Computing" national hub nodes, sited where
    //     renewables are plentiful and meant to run mostly on green power (the 2024 data-centre
    //     action plan asks new hub data centres for over 80% green electricity): Guizhou on hydro,
    //     steady with a night lift; Ningxia on desert solar at midday and wind at night, with dips
    //     at dawn and at dusk between the two. So which hub is greener depends on the hour, and
    //     the east is greenest at midday: choosing the hour and the node both matter.
    internal static readonly double[] ZhejiangGreen =
        [0.16, 0.16, 0.16, 0.16, 0.16, 0.17, 0.22, 0.30, 0.40, 0.49, 0.56, 0.60, 0.62, 0.60, 0.54, 0.45, 0.34, 0.24, 0.19, 0.18, 0.17, 0.17, 0.16, 0.16];
    internal static readonly double[] JiangsuGreen =
        [0.14, 0.14, 0.14, 0.14, 0.14, 0.14, 0.17, 0.23, 0.31, 0.38, 0.44, 0.47, 0.48, 0.47, 0.42, 0.35, 0.26, 0.18, 0.15, 0.14, 0.14, 0.14, 0.14, 0.14];
    internal static readonly double[] GuizhouGreen =
        [0.80, 0.82, 0.84, 0.84, 0.82, 0.80, 0.74, 0.70, 0.68, 0.66, 0.66, 0.66, 0.66, 0.66, 0.66, 0.68, 0.70, 0.72, 0.74, 0.76, 0.76, 0.78, 0.78, 0.78];
    internal static readonly double[] NingxiaGreen =
        [0.86, 0.88, 0.90, 0.90, 0.88, 0.80, 0.62, 0.52, 0.58, 0.70, 0.80, 0.85, 0.86, 0.85, 0.80, 0.68, 0.54, 0.44, 0.48, 0.60, 0.70, 0.78, 0.82, 0.84];

    // Declared after the profiles: static fields initialise in text order.
    private static readonly (string Zone, string Province, string Regional, string RegionalCity, string[] Cities, int Factories, double[] Green)[] Provinces =
    [
        ("CN-ZJ", "zhejiang", "hangzhou-r1", "hangzhou", ["ningbo", "hangzhou", "shaoxing", "jiaxing", "wenzhou"], 14, ZhejiangGreen),
        ("CN-JS", "jiangsu", "nanjing-r1", "nanjing", ["suzhou", "wuxi", "changzhou", "nanjing"], 13, JiangsuGreen),
    ];

    private static double[] GreenPurchased(double[] province, double extra) => province.Select(g => Math.Min(1, g + extra)).ToArray();

    public static SimInputs Build(int seed, double hours = 24)
    {
        // The seed goes through one SplitMix64 step first. Seeding with seed * 0x9E3779B97F4A7C15
        // (SplitMix64's own increment), as this once did, made seed N + 1's stream seed N's shifted
        // by one draw: every seed gave nearly the same workload.
        var rng = new SplitMix64(new SplitMix64((ulong)seed ^ 0xAC70_461DUL).Next());
        var sites = new List<TopologySite>();
        var nodes = new List<InventoryNode>();
        var factories = new List<(string Site, string Zone)>();

        foreach (var p in Provinces)
        {
            sites.Add(new TopologySite(p.Regional, Tiers.Regional, p.RegionalCity, p.Province));
            nodes.Add(Node($"regional-{p.Regional}", Tiers.Regional, p.Regional, p.Zone, 96, 393_216,
                new ChipSet("nvidia-l4", 8, 24_576), 0.80m, 0.02m, GreenPurchased(p.Green, 0.08)));
            for (var f = 0; f < p.Factories; f++)
            {
                var city = p.Cities[f % p.Cities.Length];
                var site = $"{city}-f{f + 1:00}";
                sites.Add(new TopologySite(site, Tiers.Edge, city, p.Province));
                nodes.Add(Node($"edge-{site}", Tiers.Edge, site, p.Zone, 8, 16_384,
                    new ChipSet("jetson-orin", 1, 16_384), 0.05m, 0.005m, p.Green));
                factories.Add((site, p.Zone));
            }
        }
        sites.Add(new TopologySite("guizhou-h1", Tiers.Hub, "guiyang", "guizhou"));
        sites.Add(new TopologySite("ningxia-h1", Tiers.Hub, "zhongwei", "ningxia"));
        nodes.Add(Node("hub-guizhou-h1", Tiers.Hub, "guizhou-h1", "CN-GZ", 192, 1_572_864, new ChipSet("nvidia-h100", 16, 81_920), 2.20m, 0.01m, GuizhouGreen));
        nodes.Add(Node("hub-ningxia-h1", Tiers.Hub, "ningxia-h1", "CN-NX", 192, 1_572_864, new ChipSet("nvidia-h100", 16, 81_920), 2.40m, 0.01m, NingxiaGreen));

        var topology = new Topology(sites, Topology.PublicFigures, []);
        return new SimInputs(topology, nodes, Workload(rng, factories, hours));
    }

    private static List<TraceRow> Workload(SplitMix64 rng, List<(string Site, string Zone)> factories, double hours)
    {
        var horizon = hours * 3600;
        var rows = new List<TraceRow>();
        for (var f = 0; f < factories.Count; f++)
        {
            var (site, zone) = factories[f];
            var tenant = $"factory-{f + 1:00}";
            // Every third factory keeps its data in its own province.
            var restricted = f % 3 == 0;
            string[] zones = restricted ? [zone] : [];

            // Realtime inspection: the cameras of a station fire together as a part passes, about a minute apart.
            for (var t = rng.Exponential(60); t < horizon; t += rng.Exponential(60))
            {
                var frames = 1 + rng.Below(8);
                for (var k = 0; k < frames; k++)
                    rows.Add(new TraceRow(t + k * 0.002, tenant, "inference", Lanes.Realtime, 0.5, 512, ChipDemand.AnyModelName, 1,
                        Math.Round(rng.Between(0.025, 0.060), 4), site, 80, null, zones));
            }
            // Interactive analysis: an engineer re-runs a model over a batch of images and waits.
            for (var t = rng.Exponential(900); t < horizon; t += rng.Exponential(900))
            {
                var duration = Math.Round(rng.Between(30, 240));
                rows.Add(new TraceRow(Math.Round(t, 3), tenant, "analysis", Lanes.Interactive, 2, 4096, ChipDemand.AnyModelName, 1,
                    duration, site, duration * 1000 + 10_000, null, zones));
            }
            // Batch training on big chips: H100s for those who may leave the province, L4s for the rest.
            for (var t = rng.Exponential(43_200); t < horizon; t += rng.Exponential(43_200))
            {
                var chips = restricted ? 1 << rng.Below(3) : 1 << rng.Below(4);
                rows.Add(new TraceRow(Math.Round(t, 3), tenant, "training", Lanes.Batch, 4 * chips, 32_768L * chips,
                    restricted ? "nvidia-l4" : "nvidia-h100", chips, Math.Round(rng.Between(3600, 4 * 3600)), site, null, null, zones));
            }
            // Deferrable retraining on fresh line images: due within the day.
            for (var t = rng.Exponential(86_400); t < horizon; t += rng.Exponential(86_400))
            {
                var duration = Math.Round(rng.Between(1800, 5400));
                rows.Add(new TraceRow(Math.Round(t, 3), tenant, "retraining", Lanes.Deferrable, 4, 12_288, ChipDemand.AnyModelName, 1,
                    duration, site, null, Math.Round(t + duration + rng.Between(8, 16) * 3600), zones));
            }
        }
        // OEM research labs with no line: training with no origin and no zone restriction.
        for (var lab = 0; lab < 2; lab++)
            for (var t = rng.Exponential(14_400); t < horizon; t += rng.Exponential(14_400))
            {
                var chips = 1 << rng.Below(4);
                rows.Add(new TraceRow(Math.Round(t, 3), $"oem-lab-{lab + 1}", "training", Lanes.Batch, 4 * chips, 32_768L * chips,
                    "nvidia-h100", chips, Math.Round(rng.Between(1800, 3 * 3600)), null, null, null, []));
            }
        rows.Sort((a, b) => a.SubmitS.CompareTo(b.SubmitS));
        return rows;
    }

    private static InventoryNode Node(string id, string tier, string site, string zone, double cpu, long memory, ChipSet chips,
        decimal chipPrice, decimal corePrice, double[] green) =>
        new(new NodeDescriptor(new NodeId(id), tier, site, zone, cpu, memory, [chips], chipPrice, corePrice,
            new Dictionary<string, string>(), green), NodeStates.Ready);
}
