using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement.Tests.Policy;

// Small hand-made grids for the unit specs: a factory edge gateway, a regional cloud and a hub
// laid out like the inspection deployment.
public static class Grid
{
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 14, 0, 0, TimeSpan.FromHours(8));

    public static readonly Topology Topology = new(
    [
        new TopologySite("ningbo-f01", Tiers.Edge, "ningbo", "zhejiang"),
        new TopologySite("ningbo-f02", Tiers.Edge, "ningbo", "zhejiang"),
        new TopologySite("hangzhou-r1", Tiers.Regional, "hangzhou", "zhejiang"),
        new TopologySite("nanjing-r1", Tiers.Regional, "nanjing", "jiangsu"),
        new TopologySite("guizhou-h1", Tiers.Hub, "guiyang", "guizhou"),
    ], Topology.PublicFigures, []);

    public static NodeDescriptor Edge(string id = "edge-f01", string site = "ningbo-f01", string zone = "CN-ZJ") =>
        Node(id, Tiers.Edge, site, zone, 8, 16_384, new ChipSet("jetson-orin", 1, 16_384), 0.05m, 0.005m);

    public static NodeDescriptor Regional(string id = "regional-hz", string site = "hangzhou-r1", string zone = "CN-ZJ") =>
        Node(id, Tiers.Regional, site, zone, 96, 393_216, new ChipSet("nvidia-l4", 8, 24_576), 0.80m, 0.02m);

    public static NodeDescriptor Hub(string id = "hub-gz", double[]? green = null) =>
        Node(id, Tiers.Hub, "guizhou-h1", "CN-GZ", 192, 1_572_864, new ChipSet("nvidia-h100", 16, 81_920), 2.20m, 0.01m, green);

    public static NodeDescriptor Node(string id, string tier, string site, string zone, double cpu, long memory, ChipSet? chips,
        decimal chipPrice = 0, decimal corePrice = 0, double[]? green = null) =>
        new(new NodeId(id), tier, site, zone, cpu, memory, chips is null ? [] : [chips], chipPrice, corePrice,
            new Dictionary<string, string>(), green);

    public static NodeInventory Inventory(params NodeDescriptor[] nodes)
    {
        var inventory = new NodeInventory(Topology);
        foreach (var node in nodes) inventory.Upsert(node);
        return inventory;
    }

    public static TaskDemand Inference(string lane = Lanes.Realtime, double slaMs = 80, string origin = "ningbo-f01", string[]? zones = null) =>
        new(new TaskId("t-inference"), 0.5, 512, ChipDemand.Any(1), lane, Now, zones ?? [], origin, slaMs,
            InputMb: 0.5, ExpectedDuration: TimeSpan.FromMilliseconds(40));

    // Occupies every chip (and optionally every core) of a node.
    public static void Fill(NodeInventory inventory, NodeDescriptor node, bool cores = false)
    {
        var chips = node.Chips.Single();
        Assert.True(inventory.TryReserve(node.Id, new ResourceClaim(cores ? node.Cpu : 0, 0, chips.Model, chips.Count)));
    }
}
