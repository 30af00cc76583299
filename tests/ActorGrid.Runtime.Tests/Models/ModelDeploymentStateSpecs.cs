using ActorGrid.Core.Models;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Runtime.Tests.Models;

// Deployments as pure state, and which nodes a selector picks.
public class ModelDeploymentStateSpecs
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;
    private static readonly ModelSignature Signature = new([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 4])]);

    private static ModelRef Model(string tenant, int version) => new(new TenantId(tenant), "gauge", version, "sha" + version, 10, Signature, "akka.tcp://g@h:1");

    private static NodeDescriptor Node(string id, string tier, string site) =>
        new(new NodeId(id), tier, site, "CN-ZJ", 2, 1024, [], 0, 0, new Dictionary<string, string>());

    [Fact]
    public void Should_replace_the_selector_when_a_version_is_deployed_again_and_undeploy_every_version_of_a_deleted_name()
    {
        var state = ModelDeploymentState.Empty;
        foreach (var cmd in new[]
                 {
                     new DeployModel(Model("acme", 1), new NodeSelector("edge", null, null, null)),
                     new DeployModel(Model("acme", 2), new NodeSelector("regional", null, null, null)),
                     new DeployModel(Model("acme", 1), new NodeSelector(null, "ningbo-f03", null, null)),
                     new DeployModel(Model("globex", 1), new NodeSelector("edge", null, null, null)),
                 })
            foreach (var evt in state.DecideDeploy(cmd, Now)) state = state.Apply(evt);

        Assert.Equal("ningbo-f03", state.Find(new TenantId("acme"), "gauge", 1)!.Selector.Site);
        Assert.Equal(2, state.View(new TenantId("acme")).Deployments.Count);

        foreach (var evt in state.DecideUndeploy(new UndeployModel(new TenantId("acme"), "gauge", null), Now)) state = state.Apply(evt);
        Assert.Empty(state.View(new TenantId("acme")).Deployments);
        Assert.Single(state.View(null).Deployments);
        Assert.Empty(state.DecideUndeploy(new UndeployModel(new TenantId("acme"), "gauge", 1), Now));
    }

    [Fact]
    public void Should_match_a_node_only_when_every_given_field_agrees()
    {
        var edge = Node("edge-1", "edge", "ningbo-f03");
        var regional = Node("regional-1", "regional", "hangzhou-rc");

        Assert.True(new NodeSelector("edge", "ningbo-f03", "CN-ZJ", null).Matches(edge));
        Assert.False(new NodeSelector("edge", "ningbo-f03", null, null).Matches(regional));
        Assert.False(new NodeSelector("edge", "ningbo-f01", null, null).Matches(edge));
        Assert.True(new NodeSelector(null, null, null, ["regional-1"]).Matches(regional));
        Assert.False(new NodeSelector(null, null, null, ["regional-1"]).Matches(edge));
    }
}
