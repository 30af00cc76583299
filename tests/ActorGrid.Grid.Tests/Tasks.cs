using System.Text.Json.Nodes;

namespace ActorGrid.Grid.Tests;

// Task bodies as a client would write them.
public static class Tasks
{
    public static JsonObject Shell(string script, int maxAttempts = 3, int timeoutSeconds = 60, string? key = null, double cpu = 1)
    {
        var body = new JsonObject
        {
            ["kind"] = "process",
            ["command"] = new JsonArray("sh", "-c", script),
            ["env"] = new JsonObject(),
            ["timeoutSeconds"] = timeoutSeconds,
            ["requirements"] = new JsonObject { ["cpu"] = cpu, ["memoryMiB"] = 64 },
            ["lane"] = "batch",
            ["maxAttempts"] = maxAttempts,
        };
        if (key is not null) body["idempotencyKey"] = key;
        return body;
    }

    public static string Id(JsonNode? accepted) => accepted!["id"]!.GetValue<string>();

    public static string State(JsonNode task) => task["state"]!.GetValue<string>();

    public static bool IsTerminal(string state) => state is "succeeded" or "failed" or "cancelled";
}
