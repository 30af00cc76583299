using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Configuration;

namespace ActorGrid.Sim.Inputs;

public sealed record InventoryNode(NodeDescriptor Descriptor, string State);

// A node inventory for the simulator, HOCON or JSON: a list of node descriptors with the keys
// of hocon/nodes/*.hocon, plus an optional starting state:
//
//   nodes = [
//     { id = edge-f01, tier = edge, site = ningbo-f01, zone = CN-ZJ, cpu = 8, memory-mib = 16384,
//       chips = [ { model = jetson-orin, count = 1, memory-mib = 16384 } ],
//       price-per-chip-hour = 0.05, price-per-core-hour = 0.005,
//       green-share-by-hour = [ ...24 shares... ], state = ready }
//   ]
public static class InventoryFile
{
    private static readonly HashSet<string> NodeKeys = new(StringComparer.Ordinal)
    {
        "id", "tier", "site", "zone", "cpu", "memory-mib", "chips", "price-per-chip-hour", "price-per-core-hour",
        "labels", "green-share-by-hour", "state",
    };

    private static readonly string[] States = [NodeStates.Ready, NodeStates.Cordoned, NodeStates.Draining, NodeStates.Lost];

    public static IReadOnlyList<InventoryNode> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"node inventory '{path}' does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static IReadOnlyList<InventoryNode> Parse(string text, string source)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new FormatException($"node inventory '{source}' is not valid HOCON or JSON: {ex.Message.Split('\n')[0].Trim()}", ex);
        }
        var r = new HoconFields((key, problem) => new FormatException($"node inventory '{source}': {key} {problem}"));
        if (config.IsEmpty || !config.HasPath("nodes")) throw r.Error("nodes", "is missing; the file must have `nodes = [ { ... } ]`");
        var root = config.Root.GetObject().Items;

        var nodes = new List<InventoryNode>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, key) in r.List(root, "", "nodes"))
        {
            var node = r.Object(item, key, NodeKeys);
            var id = r.Id(node, key) ?? throw r.Error($"{key}.id", "is missing");
            if (!ids.Add(id)) throw r.Error($"{key}.id", $"'{id}' appears twice");
            var state = r.Scalar(node, key, "state") ?? NodeStates.Ready;
            if (!States.Contains(state)) throw r.Error($"{key}.state", $"'{state}' is not one of {string.Join(", ", States)}");
            // Unlike a descriptor, an inventory describes nodes that are not this host: nothing is detected.
            nodes.Add(new InventoryNode(new NodeDescriptor(new NodeId(id),
                r.Tier(node, key) ?? throw r.Error($"{key}.tier", "is missing"),
                r.Name(node, key, "site") ?? throw r.Error($"{key}.site", "is missing"),
                r.Name(node, key, "zone") ?? throw r.Error($"{key}.zone", "is missing"),
                r.Cpu(node, key) ?? throw r.Error($"{key}.cpu", "is missing"),
                r.MemoryMiB(node, key) ?? throw r.Error($"{key}.memory-mib", "is missing"),
                r.Chips(node, key),
                r.Price(node, key, "price-per-chip-hour") ?? 0m,
                r.Price(node, key, "price-per-core-hour") ?? 0m,
                new Dictionary<string, string>(), // labels: accepted and not read, as before
                r.GreenShareByHour(node, key)), state));
        }
        return nodes;
    }
}
