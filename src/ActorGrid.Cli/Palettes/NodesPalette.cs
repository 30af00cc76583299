using System.Text.Json.Nodes;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `nodes`: the physical compute nodes, as placement sees them; cordon and drain are persisted on
// node/<id>. List filters are applied and checked by the gateway, the one place that knows them.
public static class NodesPalette
{
    private static readonly OperatorParameter Id = Arg("id", "The node's id, as 'nodes list' prints it.");
    private static readonly OperatorParameter Reason = Opt("reason", "Why, kept with the node's state.");

    public static IOperatorPalette Create() => new OperatorPalette("nodes", "Compute nodes: list, show, cordon, uncordon, drain.",
    [
        new OperatorCommand("list", "Every node placement knows, with state and free capacity.",
        [
            Opt("tier", "Only nodes of this tier: device, edge, regional or hub."),
            Opt("site", "Only nodes at this site."),
            Opt("zone", "Only nodes in this zone."),
            Opt("state", "Only nodes in this state: ready, cordoned, draining or lost."),
        ], ListAsync),
        new OperatorCommand("show", "One node: descriptor, state, member, telemetry.", [Id], ShowAsync),
        new OperatorCommand("cordon", "Stop placing new work on the node; running tasks stay.", [Id, Reason], (run, cancel) => ActAsync(run, "cordon", cancel)),
        new OperatorCommand("uncordon", "Let the node take new work again (also ends a drain).", [Id], (run, cancel) => ActAsync(run, "uncordon", cancel)),
        new OperatorCommand("drain", "Cordon the node and move its running tasks elsewhere.", [Id, Reason], (run, cancel) => ActAsync(run, "drain", cancel)),
    ]);

    private static async Task ListAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var filters = new[] { "tier", "site", "zone", "state" }
            .Where(f => run.Value(f) is not null)
            .Select(f => $"{f}={Uri.EscapeDataString(run.Value(f)!)}");
        var query = string.Join("&", filters);
        var matching = (await run.Client.GetAsync(query.Length == 0 ? "/v1/nodes" : "/v1/nodes?" + query, cancel)).Items().ToList();
        if (run.Output.Json)
        {
            run.Output.WriteJson(new JsonArray([.. matching.Select(n => n.DeepClone())]));
            return;
        }
        var table = CommandOutput.Table("Id", "State", "Tier", "Site", "Zone", "CPU free/total", "Memory free/total MiB", "Chips", "Running", "Member");
        foreach (var node in matching)
        {
            var d = node["descriptor"];
            var t = node["telemetry"];
            table.AddRow(Markup.Escape(node.Str("id")), StateMarkup(node.Str("state")), d.Str("tier"), Markup.Escape(d.Str("site")), Markup.Escape(d.Str("zone")),
                $"{t.Str("freeCpu")}/{d.Str("cpu")}", $"{t.Str("freeMemoryMiB")}/{d.Str("memoryMiB")}",
                Markup.Escape(Chips(d)), t.Arr("running").Count.ToString(), Markup.Escape(node.Str("member")));
        }
        run.Output.Write(table);
        run.Output.Text($"{matching.Count} node(s)");
    }

    private static async Task ShowAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var node = await run.Client.GetAsync($"/v1/nodes/{Uri.EscapeDataString(run.Required("id"))}", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(node);
            return;
        }
        Render(run, node);
    }

    private static async Task ActAsync(OperatorInvocation run, string action, CancellationToken cancel)
    {
        var path = $"/v1/nodes/{Uri.EscapeDataString(run.Required("id"))}/{action}";
        if (run.Value("reason") is { } reason) path += "?reason=" + Uri.EscapeDataString(reason);
        var node = await run.Client.PostAsync(path, null, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(node);
            return;
        }
        run.Output.Text($"Node {node.Str("id")} is {node.Str("state")}.");
    }

    private static void Render(OperatorInvocation run, JsonNode? node)
    {
        var d = node?["descriptor"];
        var t = node?["telemetry"];
        run.Output.Write(CommandOutput.Fields(
        [
            ("id", node.Str("id")),
            ("state", node.Str("state")),
            ("member", node.Str("member")),
            ("tier / site / zone", $"{d.Str("tier")} / {d.Str("site")} / {d.Str("zone")}"),
            ("cpu free / total", $"{t.Str("freeCpu")} / {d.Str("cpu")}"),
            ("memory free / total MiB", $"{t.Str("freeMemoryMiB")} / {d.Str("memoryMiB")}"),
            ("chips", Chips(d)),
            ("price per core-hour / chip-hour", $"{d.Str("pricePerCoreHour")} / {d.Str("pricePerChipHour")}"),
            ("running tasks", string.Join(", ", t.Arr("running").Select(r => r.Str("taskId")))),
            ("last heartbeat", node.Time("lastHeartbeat")),
        ]));
    }

    private static string Chips(JsonNode? descriptor)
    {
        var chips = descriptor.Arr("chips").Items().Select(c => $"{c.Str("count")}x {c.Str("model")}").ToList();
        return chips.Count == 0 ? "-" : string.Join(", ", chips);
    }

    private static string StateMarkup(string state) => state switch
    {
        "ready" => "[green]ready[/]",
        "cordoned" => "[yellow]cordoned[/]",
        "draining" => "[yellow]draining[/]",
        "lost" => "[red]lost[/]",
        _ => Markup.Escape(state),
    };
}
