using System.Text.Json.Nodes;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// pbm's `cluster` palette: membership as the gateway's host sees it, and acting on members.
public static class ClusterPalette
{
    private static readonly OperatorParameter Address = Arg("address", "The member's address as 'cluster show' prints it (akka.tcp://actorgrid@host:port), or host:port.");

    public static IOperatorPalette Create() => new OperatorPalette("cluster", "Cluster membership: show, leave, down, down-unreachable, tail, sbr.",
    [
        new OperatorCommand("show", "Members with roles, status and reachability; the leader.", [], ShowAsync),
        new OperatorCommand("leave", "Ask a member to leave the cluster gracefully (shards and singletons hand over).", [Address],
            (run, cancel) => ActAsync(run, "leave", cancel)),
        new OperatorCommand("down", "Mark a member down (use for a host that is gone and will not come back).", [Address],
            (run, cancel) => ActAsync(run, "down", cancel)),
        new OperatorCommand("down-unreachable", "Down every member this side of the cluster cannot reach.", [], DownUnreachableAsync),
        new OperatorCommand("tail", "Membership events live, until Ctrl-C.", [], TailAsync),
        new OperatorCommand("sbr", "Split-brain resolver settings and what it would decide now.", [], SbrAsync),
    ]);

    private static async Task ShowAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var cluster = await run.Client.GetAsync("/v1/cluster", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(cluster);
            return;
        }
        var leader = cluster.Str("leader");
        var self = cluster.Str("self");
        var table = CommandOutput.Table("Address", "Status", "Roles", "Reachable", "");
        foreach (var member in cluster.Arr("members").Items())
        {
            var address = member.Str("address");
            var notes = string.Join(", ", new[] { address == leader ? "leader" : null, address == self ? "this gateway" : null }.OfType<string>());
            var reachable = member?["reachable"]?.GetValue<bool>() ?? false;
            table.AddRow(Markup.Escape(address), Markup.Escape(member.Str("status")), Markup.Escape(member.Arr("roles").Join()),
                reachable ? "[green]yes[/]" : "[red]no[/]", Markup.Escape(notes));
        }
        run.Output.Write(table);
        var members = cluster.Arr("members").Count;
        run.Output.Text($"{members} member(s), {cluster.Arr("unreachable").Count} unreachable, leader {leader}");
    }

    private static async Task ActAsync(OperatorInvocation run, string action, CancellationToken cancel)
    {
        var reply = await run.Client.PostAsync($"/v1/cluster/{action}", new JsonObject { ["address"] = run.Required("address") }, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        run.Output.Text(action == "leave"
            ? $"Asked {reply.Str("address")} to leave the cluster (it was {reply.Str("status")}); 'actorgrid cluster show' shows it go."
            : $"Marked {reply.Str("address")} down (it was {reply.Str("status")}).");
    }

    private static async Task DownUnreachableAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var reply = await run.Client.PostAsync("/v1/cluster/down-unreachable", null, cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        var downed = reply.Arr("downed");
        run.Output.Text(downed.Count == 0 ? "No unreachable members; nothing downed." : $"Downed {downed.Count}: {downed.Join()}");
    }

    private static async Task TailAsync(OperatorInvocation run, CancellationToken cancel)
    {
        try
        {
            await foreach (var message in run.Client.StreamAsync("/v1/cluster/events", cancel))
            {
                var change = JsonNode.Parse(message.Data);
                if (run.Output.Json)
                {
                    change!["event"] = message.Event;
                    run.Output.WriteJsonLine(change);
                    continue;
                }
                run.Output.Text($"{change.Time("at")}  {change.Str("change"),-22} {change.Str("member")}  {change.Str("status")}  [{change.Arr("roles").Join()}]");
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Ctrl-C is how tail ends.
        }
    }

    private static async Task SbrAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var sbr = await run.Client.GetAsync("/v1/cluster/sbr", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(sbr);
            return;
        }
        var settings = (sbr?["strategySettings"] as JsonObject ?? []).Select(p => ($"  {p.Key}", (string?)p.Value?.ToString()));
        run.Output.Write(CommandOutput.Fields(
        [
            ("downing provider", sbr.Str("downingProvider")),
            ("active strategy", sbr.Str("activeStrategy")),
            ("stable after", sbr.Str("stableAfter")),
            ("down all when unstable", sbr.Str("downAllWhenUnstable")),
            .. settings,
            ("this side", sbr.Str("self")),
            ("leader", sbr.Str("leader")),
            ("members counted", sbr.Str("members")),
            ("reachable", sbr.Str("reachable")),
            ("unreachable", sbr.Arr("unreachable").Count == 0 ? "none" : sbr.Arr("unreachable").Join()),
            ("has majority", sbr.Str("hasMajority")),
            ("decision", sbr.Str("decision")),
        ]));
    }
}
