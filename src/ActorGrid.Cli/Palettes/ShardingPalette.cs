using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// pbm's `cluster-sharding` palette for the grid's three entity types.
public static class ShardingPalette
{
    public static readonly IReadOnlyList<string> Types = ["node", "task", "tenant"];

    public static IOperatorPalette Create() => new OperatorPalette("cluster-sharding", "Shard regions and how entities spread over hosts.",
    [
        new OperatorCommand("regions", "The hosts that run a shard region, per entity type.", [], RegionsAsync),
        new OperatorCommand("region-stats", "Shards and entity counts per host for one entity type.",
            [Opt("region", "Entity type: node, task or tenant.", alias: "-r", required: true, allowed: Types)], StatsAsync),
    ]);

    private static async Task RegionsAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var reply = await run.Client.GetAsync("/v1/cluster/sharding", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        var table = CommandOutput.Table("Type", "Regions (hosts)");
        foreach (var type in reply.Items())
            table.AddRow(Markup.Escape(type.Str("type")), Markup.Escape(string.Join("\n", type.Arr("regions").Select(r => r?.ToString()))));
        run.Output.Write(table);
    }

    private static async Task StatsAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var type = run.Required("region");
        var reply = await run.Client.GetAsync($"/v1/cluster/sharding/{type}/stats", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        var table = CommandOutput.Table("Host", "Shards", "Entities", "Failed shards");
        foreach (var region in reply.Arr("regions").Items())
            table.AddRow(Markup.Escape(region.Str("address")), region.Str("shards"), region.Str("entities"),
                region.Arr("failed").Count == 0 ? "-" : Markup.Escape(region.Arr("failed").Join()));
        run.Output.Write(table);
        var regions = reply.Arr("regions").Items().ToList();
        run.Output.Text($"{type}: {regions.Sum(r => r["shards"]?.GetValue<int>() ?? 0)} shard(s), {regions.Sum(r => r["entities"]?.GetValue<int>() ?? 0)} entit(ies) on {regions.Count} host(s)");
    }
}
