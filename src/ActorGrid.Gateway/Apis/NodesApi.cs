using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Operator endpoints for nodes: the grid as placement currently sees it.
public static class NodesApi
{
    public static RouteGroupBuilder MapNodesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/nodes").WithTags("Nodes");
        group.MapGet("/", ListAsync).Produces<IReadOnlyList<NodeView>>().ProducesProblem(401);
        return group;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, CallerAuthentication auth, GridActors actors, CancellationToken cancel)
    {
        if (auth.RequireOperator(request) is { } denied) return denied;
        return await actors.AskAsync(actors.Placement, GetNodes.Instance, cancel) is NodeList list
            ? TypedResults.Ok(list.Nodes)
            : Problems.Unavailable("Placement did not answer; is a core host up?");
    }
}
