using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

public sealed record ClusterMemberResponse(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable);

public sealed record ClusterResponse(string Self, string? Leader, IReadOnlyList<ClusterMemberResponse> Members, IReadOnlyList<string> Unreachable);

// Operator endpoint: membership as this gateway's host sees it (cluster gossip converges).
public static class ClusterApi
{
    public static RouteGroupBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/cluster").WithTags("Cluster").RequireAuthorization(GatewayAuth.Operator);
        group.MapGet("/", (GridActors actors) => TypedResults.Ok(Describe(Cluster.Get(actors.System)))).Produces<ClusterResponse>();
        return group;
    }

    public static ClusterResponse Describe(Cluster cluster)
    {
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address.ToString()).ToHashSet();
        return new ClusterResponse(
            cluster.SelfAddress.ToString(),
            state.Leader?.ToString(),
            [.. state.Members.Select(m => new ClusterMemberResponse(m.Address.ToString(), m.Status.ToString().ToLowerInvariant(), [.. m.Roles.Order()], !unreachable.Contains(m.Address.ToString())))],
            [.. unreachable]);
    }
}
