using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Configuration;
using Akka.Configuration.Hocon;

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

    private static readonly HashSet<string> ChipKeys = new(StringComparer.Ordinal) { "model", "count", "memory-mib" };
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
        if (config.IsEmpty || !config.HasPath("nodes")) throw Error(source, "nodes", "is missing; the file must have `nodes = [ { ... } ]`");
        var list = config.GetValue("nodes");
        if (list.Values.OfType<HoconArray>().Any() && list.Values.OfType<HoconArray>().All(a => a.Count == 0)) return [];
        if (!list.IsArray()) throw Error(source, "nodes", "must be a list [ { ... } ]");

        var nodes = new List<InventoryNode>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var items = list.GetArray();
        for (var i = 0; i < items.Count; i++)
        {
            var key = $"nodes[{i}]";
            var node = Object(source, items[i], key, NodeKeys);
            var id = Scalar(source, node, key, "id") ?? throw Error(source, $"{key}.id", "is missing");
            if (!IdRules.IsValid(id)) throw Error(source, $"{key}.id", $"'{id}' is not a valid id (1-63 of a-z 0-9 . - _)");
            if (!ids.Add(id)) throw Error(source, $"{key}.id", $"'{id}' appears twice");
            var tier = Scalar(source, node, key, "tier") ?? throw Error(source, $"{key}.tier", "is missing");
            if (!Tiers.All.Contains(tier)) throw Error(source, $"{key}.tier", $"'{tier}' is not one of {string.Join(", ", Tiers.All)}");
            var site = Scalar(source, node, key, "site") ?? throw Error(source, $"{key}.site", "is missing");
            var zone = Scalar(source, node, key, "zone") ?? throw Error(source, $"{key}.zone", "is missing");
            var cpu = Number(source, node, key, "cpu") ?? throw Error(source, $"{key}.cpu", "is missing");
            if (!(cpu > 0)) throw Error(source, $"{key}.cpu", "must be greater than 0");
            var memory = (long)(Number(source, node, key, "memory-mib") ?? throw Error(source, $"{key}.memory-mib", "is missing"));
            if (memory <= 0) throw Error(source, $"{key}.memory-mib", "must be greater than 0");
            var chipPrice = Number(source, node, key, "price-per-chip-hour") ?? 0;
            var corePrice = Number(source, node, key, "price-per-core-hour") ?? 0;
            if (chipPrice < 0 || corePrice < 0) throw Error(source, key, "prices must not be negative");
            var state = Scalar(source, node, key, "state") ?? NodeStates.Ready;
            if (!States.Contains(state)) throw Error(source, $"{key}.state", $"'{state}' is not one of {string.Join(", ", States)}");

            nodes.Add(new InventoryNode(new NodeDescriptor(new NodeId(id), tier, site, zone, cpu, memory,
                Chips(source, node, key), (decimal)chipPrice, (decimal)corePrice,
                new Dictionary<string, string>(), Green(source, node, key)), state));
        }
        return nodes;
    }

    private static List<ChipSet> Chips(string source, IDictionary<string, HoconValue> node, string parent)
    {
        var chips = new List<ChipSet>();
        if (!node.TryGetValue("chips", out var value) || value is null || value.IsEmpty) return chips;
        // The parser reports `[]` as neither empty nor an array.
        if (value.Values.OfType<HoconArray>().Any() && value.Values.OfType<HoconArray>().All(a => a.Count == 0)) return chips;
        if (!value.IsArray()) throw Error(source, $"{parent}.chips", "must be a list [ { model, count, memory-mib } ]");
        var items = value.GetArray();
        for (var i = 0; i < items.Count; i++)
        {
            var key = $"{parent}.chips[{i}]";
            var chip = Object(source, items[i], key, ChipKeys);
            var model = Scalar(source, chip, key, "model") ?? throw Error(source, $"{key}.model", "is missing");
            var count = (int)(Number(source, chip, key, "count") ?? throw Error(source, $"{key}.count", "is missing"));
            var memory = (long)(Number(source, chip, key, "memory-mib") ?? throw Error(source, $"{key}.memory-mib", "is missing"));
            if (count <= 0 || memory <= 0) throw Error(source, key, "count and memory-mib must be greater than 0");
            chips.Add(new ChipSet(model, count, memory));
        }
        return chips;
    }

    private static double[]? Green(string source, IDictionary<string, HoconValue> node, string parent)
    {
        var key = $"{parent}.green-share-by-hour";
        if (!node.TryGetValue("green-share-by-hour", out var value) || value is null || value.IsEmpty) return null;
        if (!value.IsArray() || value.GetArray().Count != 24) throw Error(source, key, "must be a list of 24 shares between 0 and 1");
        var shares = value.GetArray().Select(v => double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : double.NaN).ToArray();
        if (shares.Any(s => !(s >= 0 && s <= 1))) throw Error(source, key, "must be a list of 24 shares between 0 and 1");
        return shares;
    }

    private static FormatException Error(string source, string key, string problem) => new($"node inventory '{source}': {key} {problem}");

    private static IDictionary<string, HoconValue> Object(string source, HoconValue value, string key, HashSet<string> known)
    {
        if (!value.IsObject()) throw Error(source, key, "must be an object { ... }");
        var items = value.GetObject().Items;
        var unknown = items.Keys.FirstOrDefault(k => !known.Contains(k));
        if (unknown is not null) throw Error(source, $"{key}.{unknown}", $"is not a known key; expected one of {string.Join(", ", known)}");
        return items;
    }

    private static string? Scalar(string source, IDictionary<string, HoconValue> items, string parent, string key)
    {
        if (!items.TryGetValue(key, out var value) || value is null || value.IsEmpty) return null;
        if (value.IsObject() || value.IsArray() || !value.IsString()) throw Error(source, $"{parent}.{key}", "must be a plain value");
        return value.GetString()?.Trim();
    }

    private static double? Number(string source, IDictionary<string, HoconValue> items, string parent, string key)
    {
        var text = Scalar(source, items, parent, key);
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw Error(source, $"{parent}.{key}", $"must be a number, not '{text}'");
    }
}
