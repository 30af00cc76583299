using System.Collections.Immutable;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;

namespace ActorGrid.Core.Models;

// Every model deployment in the grid as pure functions: one entry per tenant, name and version.
public sealed record ModelDeploymentState(ImmutableList<ModelDeployment> Deployments)
{
    public static readonly ModelDeploymentState Empty = new(ImmutableList<ModelDeployment>.Empty);

    // Deploying a version again replaces its selector.
    public IReadOnlyList<IModelDeploymentEvent> DecideDeploy(DeployModel cmd, DateTimeOffset now) =>
        [new ModelDeployed(cmd.Model, cmd.Selector, now)];

    public IReadOnlyList<IModelDeploymentEvent> DecideUndeploy(UndeployModel cmd, DateTimeOffset now) =>
        Deployments.Any(d => Matches(d, cmd.TenantId, cmd.Name, cmd.Version)) ? [new ModelUndeployed(cmd.TenantId, cmd.Name, cmd.Version, now)] : [];

    public ModelDeploymentState Apply(IModelDeploymentEvent evt) => evt switch
    {
        ModelDeployed e => new(Deployments.RemoveAll(d => Same(d, e.Model.Tenant, e.Model.Name, e.Model.Version)).Add(new ModelDeployment(e.Model, e.Selector, e.At))),
        ModelUndeployed e => new(Deployments.RemoveAll(d => Matches(d, e.TenantId, e.Name, e.Version))),
        _ => this,
    };

    public ModelDeployment? Find(TenantId tenant, string name, int version) =>
        Deployments.FirstOrDefault(d => Same(d, tenant, name, version));

    public ModelDeployments View(TenantId? tenant) =>
        new([.. Deployments.Where(d => tenant is null || d.Model.Tenant == tenant)]);

    public ModelDeploymentsSnapshot ToSnapshot() => new(Deployments);

    public static ModelDeploymentState FromSnapshot(ModelDeploymentsSnapshot s) => new([.. s.Deployments]);

    private static bool Same(ModelDeployment d, TenantId tenant, string name, int version) =>
        d.Model.Tenant == tenant && d.Model.Name == name && d.Model.Version == version;

    // A null version undeploys every version of the name (used when a model is deleted).
    private static bool Matches(ModelDeployment d, TenantId tenant, string name, int? version) =>
        d.Model.Tenant == tenant && d.Model.Name == name && (version is null || d.Model.Version == version);
}
