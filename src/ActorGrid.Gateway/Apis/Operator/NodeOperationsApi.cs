using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

// `nodes show|cordon|uncordon|drain`: each persisted on node/<id>, which publishes the new state to
// placement. What drain then does to the node's running tasks is placement's part.
public static class NodeOperationsApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/{id}", ShowAsync).Produces<NodeView>().ProducesProblem(404);
        group.MapPost("/{id}/cordon", (string id, GridActors actors, CancellationToken cancel, string? reason) =>
            ActAsync(id, actors, nodeId => new CordonNode(nodeId, reason ?? "cordoned by an operator"), cancel))
            .Produces<NodeView>().ProducesProblem(404);
        group.MapPost("/{id}/uncordon", (string id, GridActors actors, CancellationToken cancel) =>
            ActAsync(id, actors, nodeId => new UncordonNode(nodeId), cancel))
            .Produces<NodeView>().ProducesProblem(404);
        group.MapPost("/{id}/drain", (string id, GridActors actors, CancellationToken cancel, string? reason) =>
            ActAsync(id, actors, nodeId => new DrainNode(nodeId, reason ?? "drained by an operator"), cancel))
            .Produces<NodeView>().ProducesProblem(404);
    }

    private static async Task<IResult> ShowAsync(string id, GridActors actors, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return NodeNotFound(id);
        return await actors.AskAsync(actors.Nodes, new GetNode(new NodeId(id)), cancel) is NodeView { Descriptor: not null } view
            ? TypedResults.Ok(view)
            : NodeNotFound(id);
    }

    private static async Task<IResult> ActAsync(string id, GridActors actors, Func<NodeId, IWithNodeId> command, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return NodeNotFound(id);
        return await actors.AskAsync(actors.Nodes, command(new NodeId(id)), cancel) switch
        {
            NodeView view => TypedResults.Ok(view),
            NodeCommandRejected => NodeNotFound(id),
            _ => Problems.Unavailable($"node/{id} did not confirm the change; try again."),
        };
    }

    private static IResult NodeNotFound(string id) =>
        Problems.NotFound($"Node '{id}' is not registered; 'actorgrid nodes list' shows the nodes the grid knows.");
}
