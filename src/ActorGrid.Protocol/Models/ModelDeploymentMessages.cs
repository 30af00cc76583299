using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Protocol.Models;

// Which workers a deployed model is pinned to. Every given field must match; a field left out
// matches anything. Nodes, when given, lists node ids.
public sealed record NodeSelector(string? Tier, string? Site, string? Zone, IReadOnlyList<string>? Nodes)
{
    public bool Matches(NodeDescriptor node) => Matches(node.Id.Value, node.Tier, node.Site, node.Zone);

    public bool Matches(string node, string tier, string site, string zone) =>
        (Tier is null || Tier == tier)
        && (Site is null || Site == site)
        && (Zone is null || Zone == zone)
        && (Nodes is not { Count: > 0 } || Nodes.Contains(node));

    public override string ToString() =>
        string.Join(", ", new[] { Tier is null ? null : "tier " + Tier, Site is null ? null : "site " + Site, Zone is null ? null : "zone " + Zone,
            Nodes is { Count: > 0 } ? "nodes " + string.Join("/", Nodes) : null }.Where(p => p is not null));
}

// A model version pinned to the workers its selector matches: they load it when the deployment
// is made and again whenever they start, so no request pays for loading it.
public sealed record ModelDeployment(ModelRef Model, NodeSelector Selector, DateTimeOffset At);

// The deployments singleton (core role, persistent). One entry per tenant/name/version; deploying
// again replaces the selector.
public sealed record DeployModel(ModelRef Model, NodeSelector Selector) : IActorGridMessage;

public sealed record UndeployModel(TenantId TenantId, string Name, int? Version) : IActorGridMessage;

// A null tenant asks for every deployment (what workers ask when they start).
public sealed record GetModelDeployments(TenantId? TenantId) : IActorGridMessage;

public interface IModelDeploymentEvent : IActorGridMessage
{
    DateTimeOffset At { get; }
}

public sealed record ModelDeployed(ModelRef Model, NodeSelector Selector, DateTimeOffset At) : IModelDeploymentEvent;

public sealed record ModelUndeployed(TenantId TenantId, string Name, int? Version, DateTimeOffset At) : IModelDeploymentEvent;

// The reply to GetModelDeployments and what the singleton publishes on InferenceTopics.Deployments
// after every change and when it starts.
public sealed record ModelDeployments(IReadOnlyList<ModelDeployment> Deployments) : IActorGridMessage;

// The persisted snapshot format of the deployments singleton, apart from the view it publishes.
public sealed record ModelDeploymentsSnapshot(IReadOnlyList<ModelDeployment> Deployments) : IActorGridMessage;

public sealed record ModelDeploymentAccepted(ModelDeployment Deployment) : IActorGridMessage;

public sealed record ModelUndeployAccepted(TenantId TenantId, string Name, int? Version, int Removed) : IActorGridMessage;
