using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Configuration;

namespace ActorGrid.Worker;

// Reads what an operator wrote about a node (hocon/nodes/*.hocon):
//
//   node {
//     id = edge-gw-1, tier = edge, site = ningbo-f03, zone = CN-ZJ
//     cpu = 4, memory-mib = 8192          # omitted: detected on this host
//     chips = [ { model = jetson-orin, count = 1, memory-mib = 8192 } ]   # or: chips = detect (nvidia-smi)
//     price-per-chip-hour = 0.10, price-per-core-hour = 0.01
//     labels { rack = r7 }
//     green-share-by-hour = [0.2, 0.2, ...]   # optional: 24 shares of renewable supply, hour 0 first
//   }
//
// Every mistake is reported with the file and the key, so an operator can fix it without reading code
// (HoconFields, NodeHoconFields). Unknown keys are mistakes too: a misspelt `memory_mib` would
// otherwise silently fall back to detection.
public static class NodeDescriptorFile
{
    public const string DetectChips = "detect";

    // chips = detect: the host's NVIDIA GPUs as nvidia-smi lists them (none when it is absent),
    // with their real device indices, where a descriptor would otherwise have to be rewritten per host.
    private static bool IsDetect(IDictionary<string, Akka.Configuration.Hocon.HoconValue> node) =>
        node.TryGetValue("chips", out var value) && value.IsString() && value.GetString() == DetectChips;

    public const string RootKey = "node";

    private static readonly HashSet<string> NodeKeys = new(StringComparer.Ordinal)
    {
        "id", "tier", "site", "zone", "cpu", "memory-mib", "chips", "price-per-chip-hour", "price-per-core-hour", "labels",
        "green-share-by-hour",
    };

    public static NodeDescriptor Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Node descriptor file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    // `source` names the text in error messages (normally its file path).
    public static NodeDescriptor Parse(string hocon, string source)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(hocon);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"Node descriptor '{source}' is not valid HOCON: {ex.Message}", ex);
        }

        var r = new HoconFields((key, problem) => new InvalidOperationException($"Node descriptor '{source}': {key} {problem}."));
        if (config.IsEmpty || !config.HasPath(RootKey)) throw r.Error(RootKey, "is missing; the file must have a `node { ... }` block");
        var node = r.Object(config.GetValue(RootKey), RootKey, NodeKeys);

        return new NodeDescriptor(
            new NodeId(r.Id(node, RootKey) ?? throw r.Error("node.id", "is missing")),
            r.Tier(node, RootKey) ?? Tiers.Edge,
            r.Name(node, RootKey, "site") ?? NodeProbe.DefaultSite,
            r.Name(node, RootKey, "zone") ?? NodeProbe.DefaultZone,
            r.Cpu(node, RootKey) ?? NodeProbe.DetectCpu(),
            r.MemoryMiB(node, RootKey) ?? NodeProbe.DetectMemoryMiB(),
            IsDetect(node) ? NodeProbe.DetectChips() : r.Chips(node, RootKey),
            r.Price(node, RootKey, "price-per-chip-hour") ?? 0m,
            r.Price(node, RootKey, "price-per-core-hour") ?? 0m,
            r.Labels(node, RootKey),
            r.GreenShareByHour(node, RootKey));
    }
}
