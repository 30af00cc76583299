using System.Globalization;
using System.Text.Json.Nodes;

namespace ActorGrid.Cli.Output;

// Reading fields out of the gateway's JSON without ceremony: absent or null reads as "-" or empty.
public static class Json
{
    public static string Str(this JsonNode? node, string name) => node?[name] switch
    {
        null => "-",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("0.##", CultureInfo.InvariantCulture),
        var other => other.ToJsonString(),
    };

    public static JsonArray Arr(this JsonNode? node, string name) => node?[name] as JsonArray ?? [];

    public static IEnumerable<JsonNode> Items(this JsonNode? node) => (node as JsonArray ?? []).OfType<JsonNode>();

    public static string Join(this JsonArray array) => string.Join(",", array.Select(v => v?.ToString()));

    // "2026-11-23T09:07:45.86+00:00" → "09:07:45" today-ish views; full ISO stays in --json.
    public static string Time(this JsonNode? node, string name) =>
        DateTimeOffset.TryParse(node.Str(name), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "-";
}
