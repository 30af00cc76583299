using ActorGrid.Gateway.Http;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record ShardingRegionsResponse(string Type, IReadOnlyList<string> Regions);

public sealed record RegionStatsResponse(string Address, int Shards, int Entities, IReadOnlyDictionary<string, int> EntitiesPerShard, IReadOnlyList<string> Failed);

public sealed record ShardingStatsResponse(string Type, IReadOnlyList<RegionStatsResponse> Regions);

// pbm's `cluster-sharding regions|region-stats`: asked of the shard region (or proxy) on this host,
// which forwards to the coordinator; the coordinator asks every region for its shards and counts.
public static class ShardingApi
{
    public static readonly IReadOnlyList<string> Types = ["node", "task", "tenant"];

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", RegionsAsync).Produces<IReadOnlyList<ShardingRegionsResponse>>().ProducesProblem(503);
        group.MapGet("/{type}/stats", StatsAsync).Produces<ShardingStatsResponse>().ProducesProblem(400).ProducesProblem(503);
    }

    private static async Task<IResult> RegionsAsync(GridActors actors, CancellationToken cancel)
    {
        var replies = await Task.WhenAll(Types.Select(async type =>
            (Type: type, Reply: await actors.AskAsync(RegionOf(actors, type), GetCurrentRegions.Instance, cancel))));
        if (replies.Any(r => r.Reply is not CurrentRegions))
            return Problems.Unavailable("The shard coordinators did not answer; is a core host up? Try again in a few seconds.");
        return TypedResults.Ok(replies
            .Select(r => new ShardingRegionsResponse(r.Type, [.. ((CurrentRegions)r.Reply).Regions.Select(a => a.ToString()).Order()]))
            .ToList());
    }

    private static async Task<IResult> StatsAsync(string type, GridActors actors, GatewayOptions options, CancellationToken cancel)
    {
        if (!Types.Contains(type)) return Problems.BadRequest($"Unknown entity type '{type}'; use one of: {string.Join(", ", Types)}.");
        // The coordinator's own deadline sits inside ours, so a slow region is reported as failed instead of timing us out.
        var query = new GetClusterShardingStats(options.AskTimeout * 0.8);
        if (await actors.AskAsync(RegionOf(actors, type), query, cancel) is not ClusterShardingStats stats)
            return Problems.Unavailable($"The {type} shard coordinator did not answer; is a core host up? Try again in a few seconds.");
        var regions = stats.Regions
            .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .Select(r => new RegionStatsResponse(
                r.Key.ToString(), r.Value.Stats.Count, r.Value.Stats.Values.Sum(),
                r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Value),
                [.. (r.Value.Failed ?? []).Order()]))
            .ToList();
        return TypedResults.Ok(new ShardingStatsResponse(type, regions));
    }

    private static IActorRef RegionOf(GridActors actors, string type) => type switch
    {
        "node" => actors.Nodes,
        "task" => actors.Tasks,
        _ => actors.Tenants,
    };
}
