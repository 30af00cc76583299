using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Runtime.Inference;
using Akka.Actor;

namespace ActorGrid.Runtime.Tests.Inference;

// The routing decision as a pure function of the workers' published status: an edge worker at
// the origin site and a regional worker, one model.
public class InferenceRoutePolicySpecs
{
    private const string Sha = "abc";
    private const string Origin = "ningbo-f03";

    private static InferenceHostStatus Edge(params ModelRunnerStatus[] models) =>
        new(new NodeId("edge-1"), "akka.tcp://g@10.0.0.1:1", ActorRefs.Nobody, "edge", Origin, "CN-ZJ", models, 4, DateTimeOffset.UtcNow);

    private static InferenceHostStatus Regional(params ModelRunnerStatus[] models) =>
        new(new NodeId("regional-1"), "akka.tcp://g@10.0.0.2:1", ActorRefs.Nobody, "regional", "hangzhou-rc", "CN-ZJ", models, 4, DateTimeOffset.UtcNow);

    private static ModelRunnerStatus Ready(int queued = 0, double batchMs = 2) => new(Sha, "ready", queued, 0, batchMs, batchMs, 1);

    private static int None(string member, string sha) => 0;

    [Fact]
    public void Should_stay_on_the_edge_when_it_meets_the_sla()
    {
        var decision = InferenceRoutePolicy.Choose([Regional(Ready()), Edge(Ready())], Sha, Origin, 80, None);

        Assert.Equal("edge-1", decision.Chosen!.Host.Node.Value);
        Assert.False(decision.Offloaded);
        Assert.StartsWith("edge-1 (edge) estimated", decision.Reason);
    }

    [Fact]
    public void Should_offload_to_the_regional_worker_when_the_edge_queue_would_miss_the_sla()
    {
        // 3 ahead at 30 ms a batch: ~120 ms on the edge; the regional worker answers in ~12 ms.
        var decision = InferenceRoutePolicy.Choose([Edge(Ready(queued: 3, batchMs: 30)), Regional(Ready())], Sha, Origin, 80, None);

        Assert.Equal("regional-1", decision.Chosen!.Host.Node.Value);
        Assert.True(decision.Offloaded);
        Assert.Equal("offloaded to regional-1 (regional, ~12 ms): edge-1 (edge, 3 ahead) estimated ~120.2 ms", decision.Reason);
    }

    [Fact]
    public void Should_offload_and_say_so_when_the_edge_queue_is_full()
    {
        var decision = InferenceRoutePolicy.Choose([Edge(Ready()), Regional()], Sha, Origin, 80, (member, _) => member.Contains("10.0.0.1") ? 4 : 0);

        Assert.Equal("regional-1", decision.Chosen!.Host.Node.Value);
        Assert.True(decision.Offloaded);
        Assert.Contains("edge-1 (edge) queue full (4 of 4)", decision.Reason);
    }

    [Fact]
    public void Should_refuse_with_every_estimate_when_nothing_meets_the_sla()
    {
        var decision = InferenceRoutePolicy.Choose([Edge(Ready(queued: 3, batchMs: 30)), Regional(Ready(queued: 3, batchMs: 30))], Sha, Origin, 20, None);

        Assert.Null(decision.Chosen);
        Assert.Equal(429, decision.RefusalStatus);
        Assert.Contains("edge-1 (edge, 3 ahead) estimated ~120.2 ms", decision.Reason);
        Assert.Contains("regional-1 (regional, 3 ahead) estimated ~130 ms", decision.Reason);
    }

    [Fact]
    public void Should_send_the_first_request_to_the_nearest_host_when_no_one_has_the_model()
    {
        var decision = InferenceRoutePolicy.Choose([Regional(), Edge()], Sha, Origin, 80, None);

        Assert.Equal("edge-1", decision.Chosen!.Host.Node.Value);
        Assert.False(decision.Offloaded);
    }
}
