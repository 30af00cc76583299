using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Placement.Benchmarks;

// The grid both placement benchmarks decide over (the policy alone in actorgrid-sim --bench-policy,
// the live actor's path in actorgrid-bench placement-actor), laid out once so their figures stay
// comparable: 400 sites in 8 provinces, mostly edge gateways, every 10th a regional cloud, every
// 40th a national hub; nodes sized and priced by tier, on one daytime-solar green profile.
public static class SyntheticGrid
{
    public static readonly string[] Zones = ["CN-ZJ", "CN-JS", "CN-GD", "CN-SC", "CN-GZ", "CN-NX", "CN-BJ", "EU-DE"];

    private static readonly double[] Green =
        [.. Enumerable.Range(0, 24).Select(h => 0.2 + 0.5 * Math.Max(0, Math.Sin((h - 6) / 12.0 * Math.PI)))];

    public static Topology BuildTopology()
    {
        var sites = new List<TopologySite>(400);
        for (var s = 0; s < 400; s++)
        {
            var province = $"p{s % 8}";
            var tier = s % 40 == 0 ? Tiers.Hub : s % 10 == 0 ? Tiers.Regional : Tiers.Edge;
            sites.Add(new TopologySite($"site-{s}", tier, $"{province}-c{s % 5}", province));
        }
        return new Topology(sites, Topology.PublicFigures, []);
    }

    // Node i at the given site: its zone is its province's, its size and price its tier's.
    public static NodeDescriptor Node(int i, TopologySite site)
    {
        var zone = Zones[int.Parse(site.Province!.AsSpan(1), CultureInfo.InvariantCulture)];
        var (cpu, mem, chip, chipPrice) = site.Tier switch
        {
            Tiers.Hub => (192.0, 1_572_864L, new ChipSet("nvidia-h100", 16, 81_920), 2.2m),
            Tiers.Regional => (96.0, 393_216L, new ChipSet("nvidia-l4", 8, 24_576), 0.8m),
            _ => (8.0, 16_384L, new ChipSet("jetson-orin", 1, 16_384), 0.05m),
        };
        return new NodeDescriptor(new NodeId($"node-{i:000000}"), site.Tier, site.Name, zone, cpu, mem, [chip], chipPrice, 0.01m,
            new Dictionary<string, string>(), Green);
    }
}
