using System.Globalization;
using Akka.Configuration.Hocon;

namespace ActorGrid.Protocol.Nodes;

// The parts of a node that a descriptor (hocon/nodes/*.hocon) and the simulator's inventory both
// write with the same keys, read one way for both. `parent` is where the node sits in its file
// (`node`, `nodes[3]`), so errors name the key as the operator wrote it. Null means absent: each
// file says what an absent value becomes (detected on this host, required, a default).
public static class NodeHoconFields
{
    public static readonly IReadOnlySet<string> ChipKeys = new HashSet<string>(StringComparer.Ordinal) { "model", "count", "memory-mib" };

    public static string? Id(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var id = r.Scalar(node, parent, "id");
        if (id is not null && !IdRules.IsValid(id))
            throw r.Error($"{parent}.id", $"'{id}' is not a valid id: use 1-63 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
        return id;
    }

    public static string? Tier(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var tier = r.Scalar(node, parent, "tier");
        if (tier is not null && !Tiers.All.Contains(tier)) throw r.Error($"{parent}.tier", $"'{tier}' is not a tier; use one of {string.Join(", ", Tiers.All)}");
        return tier;
    }

    // Site and zone: names, so present means not empty.
    public static string? Name(this HoconFields r, IDictionary<string, HoconValue> node, string parent, string key)
    {
        var text = r.Scalar(node, parent, key);
        if (text is not null && text.Length == 0) throw r.Error($"{parent}.{key}", "must not be empty");
        return text;
    }

    public static double? Cpu(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var cpu = r.Number<double>(node, parent, "cpu");
        if (cpu is <= 0) throw r.Error($"{parent}.cpu", $"must be greater than 0, not {cpu.Value.ToString(CultureInfo.InvariantCulture)}");
        return cpu;
    }

    public static long? MemoryMiB(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var memory = r.Number<long>(node, parent, "memory-mib");
        if (memory is <= 0) throw r.Error($"{parent}.memory-mib", $"must be greater than 0, not {memory}");
        return memory;
    }

    // price-per-chip-hour, price-per-core-hour.
    public static decimal? Price(this HoconFields r, IDictionary<string, HoconValue> node, string parent, string key)
    {
        var price = r.Number<decimal>(node, parent, key);
        if (price < 0) throw r.Error($"{parent}.{key}", "must not be negative");
        return price;
    }

    public static IReadOnlyList<ChipSet> Chips(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var chips = new List<ChipSet>();
        foreach (var (item, key) in r.List(node, parent, "chips", "[ { model, count, memory-mib } ]"))
        {
            var chip = r.Object(item, key, ChipKeys);
            var model = r.Scalar(chip, key, "model");
            if (string.IsNullOrEmpty(model)) throw r.Error($"{key}.model", "is missing");
            var count = r.Number<int>(chip, key, "count") ?? throw r.Error($"{key}.count", "is missing");
            if (count <= 0) throw r.Error($"{key}.count", $"must be greater than 0, not {count}");
            var memory = r.Number<long>(chip, key, "memory-mib") ?? throw r.Error($"{key}.memory-mib", "is missing");
            if (memory <= 0) throw r.Error($"{key}.memory-mib", $"must be greater than 0, not {memory}");
            chips.Add(new ChipSet(model, count, memory));
        }
        return chips;
    }

    // Placement reads the profile by hour of day, so anything but 24 shares in 0..1 is a mistake.
    public static IReadOnlyList<double>? GreenShareByHour(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var key = $"{parent}.green-share-by-hour";
        if (!node.TryGetValue("green-share-by-hour", out var value) || value is null || value.IsEmpty) return null;
        if (!value.IsArray()) throw r.Error(key, "must be a list of 24 numbers between 0 and 1, hour 0 first");
        var elements = value.GetArray();
        if (elements.Count != 24) throw r.Error(key, $"must have 24 values (one per hour of the day), not {elements.Count}");
        var shares = new double[24];
        for (var i = 0; i < shares.Length; i++)
        {
            var text = elements[i].IsString() ? elements[i].GetString()?.Trim() : null;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || !(share >= 0 && share <= 1))
                throw r.Error($"{key}[{i}]", $"must be a number between 0 and 1, not '{text}'");
            shares[i] = share;
        }
        return shares;
    }

    public static IReadOnlyDictionary<string, string> Labels(this HoconFields r, IDictionary<string, HoconValue> node, string parent)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!node.TryGetValue("labels", out var value) || value is null || value.IsEmpty) return labels;
        var key = $"{parent}.labels";
        var items = r.Object(value, key, known: null);
        foreach (var label in items.Keys) labels[label] = r.Scalar(items, key, label) ?? "";
        return labels;
    }
}
