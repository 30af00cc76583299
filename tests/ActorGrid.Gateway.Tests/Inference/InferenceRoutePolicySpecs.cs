using ActorGrid.Gateway.Inference;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using Akka.Actor;

namespace ActorGrid.Gateway.Tests.Inference;

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
    public void Should_route_around_a_worker_that_refused_the_request_and_say_it_was_offloaded()
    {
        // The edge looked free in its last report but refused (another gateway filled its queue).
        var edge = Edge(Ready());
        var decision = InferenceRoutePolicy.Choose([edge, Regional(Ready())], Sha, Origin, 80, None, refusedBy: new HashSet<string> { edge.Member });

        Assert.Equal("regional-1", decision.Chosen!.Host.Node.Value);
        Assert.True(decision.Offloaded);
        Assert.Contains("edge-1 (edge) refused it: queue full", decision.Reason);
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
    // Origin ningbo-f03 (Zhejiang). The edge worker stands at a Jiangsu factory (another
    // region, 7 ms); the regional cloud is in the origin's own province (5 ms). The tier table
    // would call the edge worker 1 ms away.
    private static readonly Topology Inspection = TopologyFile.Parse("""
        topology {
          sites = [
            { name = ningbo-f03,  tier = edge,     city = ningbo,   province = zhejiang }
            { name = suzhou-f01,  tier = edge,     city = suzhou,   province = jiangsu }
            { name = hangzhou-r1, tier = regional, city = hangzhou, province = zhejiang }
          ]
        }
        """, "test");

    private static InferenceHostStatus At(string node, string tier, string site, string member, params ModelRunnerStatus[] models) =>
        new(new NodeId(node), member, ActorRefs.Nobody, tier, site, "CN", models, 4, DateTimeOffset.UtcNow);

    [Fact]
    public void Should_route_to_the_host_the_topology_says_is_nearer_even_on_a_higher_tier()
    {
        var hosts = new[]
        {
            At("edge-js", "edge", "suzhou-f01", "akka.tcp://g@10.0.0.1:1", Ready()),
            At("regional-zj", "regional", "hangzhou-r1", "akka.tcp://g@10.0.0.2:1", Ready()),
        };

        var byTier = InferenceRoutePolicy.Choose(hosts, Sha, Origin, 80, None, new InferenceRoutingTable().NetworkMs);
        var byTopology = InferenceRoutePolicy.Choose(hosts, Sha, Origin, 80, None, new InferenceRoutingTable(Inspection).NetworkMs);

        Assert.Equal("edge-js", byTier.Chosen!.Host.Node.Value);
        Assert.Equal(1, byTier.Chosen.NetworkMs);
        Assert.Equal("regional-zj", byTopology.Chosen!.Host.Node.Value);
        Assert.Equal(5, byTopology.Chosen.NetworkMs);
        // Nearest by the topology, so staying there is not an offload.
        Assert.False(byTopology.Offloaded);
        Assert.Equal("regional-zj (regional) estimated ~12 ms", byTopology.Reason);
    }

    [Fact]
    public void Should_use_explicit_links_and_the_topology_defaults_for_the_distance()
    {
        var topology = TopologyFile.Parse("""
            topology {
              defaults { same-province { latency-ms = 4 } }
              sites = [
                { name = ningbo-f03,  tier = edge,     city = ningbo,   province = zhejiang }
                { name = ningbo-f01,  tier = edge,     city = ningbo,   province = zhejiang }
                { name = hangzhou-r1, tier = regional, city = hangzhou, province = zhejiang }
                { name = guizhou-h1,  tier = hub,      city = guiyang,  province = guizhou }
              ]
              links = [ { from = ningbo-f03, to = guizhou-h1, latency-ms = 0.5 } ]
            }
            """, "test");
        var routes = new InferenceRoutingTable(topology);

        Assert.Equal(1, routes.NetworkMs(Origin, At("e", "edge", "ningbo-f01", "m")));
        Assert.Equal(4, routes.NetworkMs(Origin, At("r", "regional", "hangzhou-r1", "m")));
        Assert.Equal(0.5, routes.NetworkMs(Origin, At("h", "hub", "guizhou-h1", "m")));
        Assert.Equal(0.1, routes.NetworkMs(Origin, At("s", "edge", Origin, "m")));
        Assert.True(routes.HasTopology);
    }

    [Fact]
    public void Should_put_every_host_at_the_unknown_distance_for_an_origin_the_topology_does_not_declare()
    {
        var routes = new InferenceRoutingTable(Inspection);
        var edge = At("edge-js", "edge", "suzhou-f01", "akka.tcp://g@10.0.0.1:1", Ready(queued: 2, batchMs: 5));
        var regional = At("regional-zj", "regional", "hangzhou-r1", "akka.tcp://g@10.0.0.2:1", Ready());

        Assert.Equal(Topology.PublicFigures[SiteDistance.Unknown].LatencyMs, routes.NetworkMs("new-factory", edge));
        Assert.Equal(Topology.PublicFigures[SiteDistance.Unknown].LatencyMs, routes.NetworkMs("new-factory", regional));
        // An undeclared site is still the same site as itself.
        Assert.Equal(0.1, routes.NetworkMs("new-factory", At("local", "edge", "new-factory", "m")));

        // Equally far, so the shorter queue wins; the request is routed, not refused.
        var decision = InferenceRoutePolicy.Choose([edge, regional], Sha, "new-factory", 80, None, routes.NetworkMs);
        Assert.Equal("regional-zj", decision.Chosen!.Host.Node.Value);
        // Undeclared origins are taken to be at the edge, so leaving the edge worker is an offload.
        Assert.True(decision.Offloaded);
        Assert.StartsWith("offloaded to regional-zj (regional, ~22 ms): edge-js (edge, 2 ahead) estimated ~35 ms", decision.Reason);
    }

    [Fact]
    public void Should_keep_the_tier_table_when_no_topology_is_configured()
    {
        var routes = new InferenceRoutingTable(Topology.Empty);

        Assert.False(routes.HasTopology);
        Assert.Equal(5, routes.NetworkMs(Origin, At("r", "regional", "hangzhou-r1", "m")));
        Assert.Equal(1, routes.NetworkMs(Origin, At("e", "edge", "suzhou-f01", "m")));
        Assert.Equal(10, routes.NetworkMs(Origin, At("h", "hub", "guizhou-h1", "m")));
    }
}
