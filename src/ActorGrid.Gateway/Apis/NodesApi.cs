using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Operator endpoints for nodes: the grid as placement currently sees it, optionally narrowed to
// one tier, site, zone or state (`actorgrid nodes list --tier edge`).
public static class NodesApi
{
    public static RouteGroupBuilder MapNodesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/nodes").WithTags("Nodes").RequireAuthorization(GatewayAuth.Operator);
        group.MapGet("/", ListAsync).Produces<IReadOnlyList<NodeView>>().ProducesProblem(400).ProducesProblem(401);
        return group;
    }

    private static async Task<IResult> ListAsync(
        GridActors actors, CancellationToken cancel,
        string? tier = null, string? site = null, string? zone = null, string? state = null)
    {
        // Tiers and states are closed sets, so a typo is an error rather than an empty list;
        // sites and zones are whatever the descriptors say, so an unknown one just matches nothing.
        if (tier is not null && !Tiers.All.Contains(tier, StringComparer.OrdinalIgnoreCase))
            return Problems.BadRequest($"Unknown tier '{tier}'; use one of: {string.Join(", ", Tiers.All)}.");
        if (state is not null && !NodeStates.All.Contains(state, StringComparer.OrdinalIgnoreCase))
            return Problems.BadRequest($"Unknown state '{state}'; use one of: {string.Join(", ", NodeStates.All)}.");
        if (await actors.AskAsync(actors.Placement, GetNodes.Instance, cancel) is not NodeList list)
            return Problems.Unavailable("Placement did not answer; is a core host up?");
        return TypedResults.Ok(list.Nodes.Where(n =>
            Matches(n.State, state)
            && Matches(n.Descriptor?.Tier, tier) && Matches(n.Descriptor?.Site, site) && Matches(n.Descriptor?.Zone, zone)).ToList());
    }

    private static bool Matches(string? actual, string? wanted) =>
        wanted is null || string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase);
}
