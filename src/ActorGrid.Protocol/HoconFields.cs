using System.Globalization;
using System.Numerics;
using Akka.Configuration.Hocon;

namespace ActorGrid.Protocol;

// Typed fields out of a parsed HOCON (or JSON) object, for the files operators write: node
// descriptors, the simulator's inventory, the topology. Every mistake is an error that names the
// file and the key, and unknown keys are mistakes too (a misspelt `memory_mib` would otherwise
// silently fall back to a default). Each file keeps its own wording and exception type through
// `error(key, problem)`.
public sealed class HoconFields(Func<string, string, Exception> error)
{
    public Exception Error(string key, string problem) => error(key, problem);

    // `known` null: any key is allowed (labels).
    public IDictionary<string, HoconValue> Object(HoconValue value, string key, IReadOnlySet<string>? known)
    {
        if (!value.IsObject()) throw Error(key, "must be an object { ... }");
        var items = value.GetObject().Items;
        if (known is not null && items.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            throw Error($"{key}.{unknown}", $"is not a known key; expected one of {string.Join(", ", known)}");
        return items;
    }

    // A plain value, trimmed, or null when the key is absent.
    public string? Scalar(IDictionary<string, HoconValue> items, string parent, string key)
    {
        if (!items.TryGetValue(key, out var value) || value is null || value.IsEmpty) return null;
        if (value.IsObject() || value.IsArray() || !value.IsString()) throw Error($"{parent}.{key}", "must be a plain value");
        return value.GetString()?.Trim();
    }

    // A finite number (int and long: a whole one), or null when the key is absent.
    public T? Number<T>(IDictionary<string, HoconValue> items, string parent, string key) where T : struct, INumber<T>
    {
        var text = Scalar(items, parent, key);
        if (text is null) return null;
        var whole = typeof(T) == typeof(int) || typeof(T) == typeof(long);
        if (!T.TryParse(text, whole ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !T.IsFinite(value))
            throw Error($"{parent}.{key}", $"must be a {(whole ? "whole number" : "number")}, not '{text}'");
        return value;
    }

    // The elements of a list with their paths (parent.key[i], or key[i] at the top of the file);
    // none when the key is absent or `[]`.
    public IEnumerable<(HoconValue Item, string Path)> List(IDictionary<string, HoconValue> parent, string parentKey, string key, string shape = "[ { ... } ]")
    {
        var path = parentKey.Length == 0 ? key : $"{parentKey}.{key}";
        if (!parent.TryGetValue(key, out var value) || value is null || value.IsEmpty || IsEmptyList(value)) yield break;
        if (!value.IsArray()) throw Error(path, $"must be a list {shape}");
        var items = value.GetArray();
        for (var i = 0; i < items.Count; i++) yield return (items[i], $"{path}[{i}]");
    }

    // The parser reports `[]` as neither empty nor an array.
    public static bool IsEmptyList(HoconValue value) =>
        value.Values.OfType<HoconArray>().Any() && value.Values.OfType<HoconArray>().All(a => a.Count == 0);
}
