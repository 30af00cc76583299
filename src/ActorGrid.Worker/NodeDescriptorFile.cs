using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorGrid.Worker;

// Reads what an operator wrote about a node (hocon/nodes/*.hocon):
//
//   node {
//     id = edge-gw-1, tier = edge, site = ningbo-f03, zone = CN-ZJ
//     cpu = 4, memory-mib = 8192          # omitted: detected on this host
//     chips = [ { model = jetson-orin, count = 1, memory-mib = 8192 } ]
//     price-per-chip-hour = 0.10, price-per-core-hour = 0.01
//     labels { rack = r7 }
//     green-share-by-hour = [0.2, 0.2, ...]   # optional: 24 shares of renewable supply, hour 0 first
//   }
//
// Every mistake is reported with the file and the key, so an operator can fix it without reading code.
// Unknown keys are mistakes too: a misspelt `memory_mib` would otherwise silently fall back to detection.
public static class NodeDescriptorFile
{
    public const string RootKey = "node";

    private static readonly HashSet<string> NodeKeys = new(StringComparer.Ordinal)
    {
        "id", "tier", "site", "zone", "cpu", "memory-mib", "chips", "price-per-chip-hour", "price-per-core-hour", "labels",
        "green-share-by-hour",
    };

    private static readonly HashSet<string> ChipKeys = new(StringComparer.Ordinal) { "model", "count", "memory-mib" };

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

        var reader = new Reader(source);
        if (config.IsEmpty || !config.HasPath(RootKey)) throw reader.Error(RootKey, "is missing; the file must have a `node { ... }` block");
        var node = reader.Object(config.GetValue(RootKey), RootKey, NodeKeys);

        var id = reader.Scalar(node, RootKey, "id") ?? throw reader.Error("node.id", "is missing");
        if (!IdRules.IsValid(id))
            throw reader.Error("node.id", $"'{id}' is not a valid id: use 1-63 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");

        var tier = reader.Scalar(node, RootKey, "tier") ?? Tiers.Edge;
        if (!Tiers.All.Contains(tier)) throw reader.Error("node.tier", $"'{tier}' is not a tier; use one of {string.Join(", ", Tiers.All)}");

        var site = reader.Name(node, "site") ?? NodeProbe.DefaultSite;
        var zone = reader.Name(node, "zone") ?? NodeProbe.DefaultZone;

        var cpu = reader.Number(node, RootKey, "cpu", double.Parse) ?? NodeProbe.DetectCpu();
        if (!(cpu > 0) || !double.IsFinite(cpu)) throw reader.Error("node.cpu", $"must be greater than 0, not {cpu.ToString(CultureInfo.InvariantCulture)}");

        var memory = reader.Number(node, RootKey, "memory-mib", long.Parse) ?? NodeProbe.DetectMemoryMiB();
        if (memory <= 0) throw reader.Error("node.memory-mib", $"must be greater than 0, not {memory}");

        var pricePerChip = reader.Number(node, RootKey, "price-per-chip-hour", decimal.Parse) ?? 0m;
        if (pricePerChip < 0) throw reader.Error("node.price-per-chip-hour", "must not be negative");
        var pricePerCore = reader.Number(node, RootKey, "price-per-core-hour", decimal.Parse) ?? 0m;
        if (pricePerCore < 0) throw reader.Error("node.price-per-core-hour", "must not be negative");

        return new NodeDescriptor(
            new NodeId(id), tier, site, zone, cpu, memory, reader.Chips(node), pricePerChip, pricePerCore, reader.Labels(node),
            reader.GreenShareByHour(node));
    }

    private sealed class Reader(string source)
    {
        public InvalidOperationException Error(string key, string problem) =>
            new($"Node descriptor '{source}': {key} {problem}.");

        public IDictionary<string, HoconValue> Object(HoconValue value, string key, IReadOnlySet<string>? known)
        {
            if (!value.IsObject()) throw Error(key, "must be an object { ... }");
            var items = value.GetObject().Items;
            if (known is not null)
            {
                var unknown = items.Keys.FirstOrDefault(k => !known.Contains(k));
                if (unknown is not null)
                    throw Error($"{key}.{unknown}", $"is not a known key; expected one of {string.Join(", ", known)}");
            }
            return items;
        }

        // A plain value, or null when the key is absent.
        public string? Scalar(IDictionary<string, HoconValue> items, string parent, string key)
        {
            if (!items.TryGetValue(key, out var value) || value is null || value.IsEmpty) return null;
            if (value.IsObject() || value.IsArray() || !value.IsString()) throw Error($"{parent}.{key}", "must be a plain value");
            return value.GetString()?.Trim();
        }

        public string? Name(IDictionary<string, HoconValue> items, string key)
        {
            var text = Scalar(items, RootKey, key);
            if (text is not null && text.Length == 0) throw Error($"{RootKey}.{key}", "must not be empty");
            return text;
        }

        public T? Number<T>(IDictionary<string, HoconValue> items, string parent, string key, Func<string, NumberStyles, IFormatProvider, T> parse)
            where T : struct
        {
            var text = Scalar(items, parent, key);
            if (text is null) return null;
            var whole = typeof(T) == typeof(int) || typeof(T) == typeof(long);
            try
            {
                return parse(text, whole ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is FormatException or OverflowException)
            {
                throw Error($"{parent}.{key}", $"must be a {(whole ? "whole number" : "number")}, not '{text}'");
            }
        }

        public IReadOnlyList<ChipSet> Chips(IDictionary<string, HoconValue> node)
        {
            if (!node.TryGetValue("chips", out var value) || value is null || value.IsEmpty) return [];
            if (!value.IsArray()) throw Error("node.chips", "must be a list [ { model, count, memory-mib } ]");
            var chips = new List<ChipSet>();
            var elements = value.GetArray();
            for (var i = 0; i < elements.Count; i++)
            {
                var key = $"node.chips[{i}]";
                var chip = Object(elements[i], key, ChipKeys);
                var model = Scalar(chip, key, "model");
                if (string.IsNullOrEmpty(model)) throw Error($"{key}.model", "is missing");
                var count = Number(chip, key, "count", int.Parse) ?? throw Error($"{key}.count", "is missing");
                if (count <= 0) throw Error($"{key}.count", $"must be greater than 0, not {count}");
                var memory = Number(chip, key, "memory-mib", long.Parse) ?? throw Error($"{key}.memory-mib", "is missing");
                if (memory <= 0) throw Error($"{key}.memory-mib", $"must be greater than 0, not {memory}");
                chips.Add(new ChipSet(model, count, memory));
            }
            return chips;
        }

        // Placement reads the profile by hour of day, so anything but 24 shares in 0..1 is a mistake.
        public IReadOnlyList<double>? GreenShareByHour(IDictionary<string, HoconValue> node)
        {
            const string key = "node.green-share-by-hour";
            if (!node.TryGetValue("green-share-by-hour", out var value) || value is null || value.IsEmpty) return null;
            if (!value.IsArray()) throw Error(key, "must be a list of 24 numbers between 0 and 1, hour 0 first");
            var elements = value.GetArray();
            if (elements.Count != 24) throw Error(key, $"must have 24 values (one per hour of the day), not {elements.Count}");
            var shares = new double[24];
            for (var i = 0; i < shares.Length; i++)
            {
                var text = elements[i].IsString() ? elements[i].GetString()?.Trim() : null;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || !(share >= 0 && share <= 1))
                    throw Error($"{key}[{i}]", $"must be a number between 0 and 1, not '{text}'");
                shares[i] = share;
            }
            return shares;
        }

        public IReadOnlyDictionary<string, string> Labels(IDictionary<string, HoconValue> node)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!node.TryGetValue("labels", out var value) || value is null || value.IsEmpty) return labels;
            var items = Object(value, "node.labels", known: null);
            foreach (var key in items.Keys) labels[key] = Scalar(items, "node.labels", key) ?? "";
            return labels;
        }
    }
}
