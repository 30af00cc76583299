using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class OffloadSpecs
{
    private readonly PlacementPolicy _policy = new();

    [Fact]
    public void Should_place_realtime_inference_on_the_edge_at_its_origin_when_it_has_room()
    {
        var inventory = Inventory(Edge(), Regional(), Hub());

        var result = _policy.Decide(Inference(), inventory, Now);

        Assert.Equal(PlacementOutcome.Placed, result.Outcome);
        Assert.Equal("edge-f01", result.Chosen!.Node.Value);
        Assert.Equal(0, result.Chosen.Terms.TierSteps);
        Assert.Equal("jetson-orin", result.Chosen.Claim.ChipModel);
        // Same site: 2 x 0.1 ms there and back, 0.4 ms to move 0.5 MB at 10 Gbit/s, 40 ms run.
        Assert.Equal(40.6, result.Chosen.Terms.ResponseMs, 6);
    }

    [Fact]
    public void Should_offload_to_the_regional_cloud_when_the_edge_is_saturated_then_to_the_hub()
    {
        var edge = Edge();
        var regional = Regional();
        var inventory = Inventory(edge, regional, Hub());
        Fill(inventory, edge);

        var first = _policy.Decide(Inference(), inventory, Now);
        Fill(inventory, regional);
        var second = _policy.Decide(Inference(), inventory, Now);

        Assert.Equal("regional-hz", first.Chosen!.Node.Value);
        Assert.Equal(1, first.Chosen.Terms.TierSteps);
        Assert.Contains("offloaded 1 tier", first.Reason);
        Assert.Equal("hub-gz", second.Chosen!.Node.Value);
        Assert.Equal(2, second.Chosen.Terms.TierSteps);
        // Hub: 2 x 10 ms, 0.5 MB at 200 Mbit/s = 20 ms, 40 ms run: 80 ms, exactly the SLA.
        Assert.Equal(80, second.Chosen.Terms.ResponseMs, 6);
    }

    [Fact]
    public void Should_offload_when_the_edge_lacks_the_chip_model()
    {
        var inventory = Inventory(Edge(), Regional(), Hub());
        var demand = Inference() with { Chips = new ChipDemand("nvidia-l4", 1) };

        var result = _policy.Decide(demand, inventory, Now);

        Assert.Equal("regional-hz", result.Chosen!.Node.Value);
        // The chip index skips the edge and the hub without visiting them: counted, and explained on request.
        Assert.Equal(2, result.RejectionCounts[RejectReason.NoSuchChip]);
        Assert.Equal(RejectReason.NoSuchChip, _policy.Check(demand, inventory, new NodeId("edge-f01"), Now)?.Reason);
    }

    [Fact]
    public void Should_prefer_a_neighbouring_edge_over_the_regional_cloud_when_both_meet_the_sla()
    {
        var edge = Edge();
        var inventory = Inventory(edge, Edge("edge-f02", "ningbo-f02"), Regional());
        Fill(inventory, edge);

        var result = _policy.Decide(Inference(), inventory, Now);

        Assert.Equal("edge-f02", result.Chosen!.Node.Value);
    }

    [Fact]
    public void Should_fail_fast_for_realtime_work_when_no_node_meets_its_sla()
    {
        var inventory = Inventory(Hub());

        var result = _policy.Decide(Inference(slaMs: 60), inventory, Now);

        Assert.Equal(PlacementOutcome.FailFast, result.Outcome);
        Assert.Null(result.Chosen);
        Assert.Contains("no node meets the 60 ms SLA", result.Reason);
        Assert.Contains("hub-gz", result.Reason);
    }

    [Fact]
    public void Should_queue_interactive_work_that_no_node_serves_within_its_sla_yet()
    {
        var inventory = Inventory(Hub());

        var result = _policy.Decide(Inference(Lanes.Interactive, slaMs: 60), inventory, Now);

        Assert.Equal(PlacementOutcome.Queued, result.Outcome);
        Assert.Contains("SLA", result.Reason);
    }

    [Fact]
    public void Should_place_best_effort_once_the_sla_was_already_missed_in_the_queue()
    {
        var inventory = Inventory(Hub());
        var demand = Inference(Lanes.Interactive, slaMs: 60);

        var result = _policy.Decide(demand, inventory, Now.AddSeconds(5));

        Assert.Equal(PlacementOutcome.Placed, result.Outcome);
        Assert.Contains("already missed", result.Reason);
    }

    [Fact]
    public void Should_fail_fast_for_realtime_and_queue_batch_when_every_node_is_busy()
    {
        var edge = Edge();
        var inventory = Inventory(edge);
        Fill(inventory, edge);

        var realtime = _policy.Decide(Inference(), inventory, Now);
        var batch = _policy.Decide(Inference(Lanes.Batch) with { LatencySlaMs = null }, inventory, Now);

        Assert.Equal(PlacementOutcome.FailFast, realtime.Outcome);
        Assert.Equal(PlacementOutcome.Queued, batch.Outcome);
        Assert.Contains("chips busy: 1", batch.Reason);
    }

    [Fact]
    public void Should_reject_work_no_node_could_ever_run_with_the_reason()
    {
        var inventory = Inventory(Edge(), Regional());
        var demand = Inference(Lanes.Batch) with { Chips = new ChipDemand("nvidia-h100", 8), LatencySlaMs = null };

        var result = _policy.Decide(demand, inventory, Now);

        Assert.Equal(PlacementOutcome.Rejected, result.Outcome);
        Assert.Contains("no such chip: 2", result.Reason);
    }

    [Fact]
    public void Should_never_place_outside_the_allowed_zones_and_queue_when_the_only_zone_node_is_lost()
    {
        var edge = Edge();
        var inventory = Inventory(edge, Regional("regional-nj", "nanjing-r1", "CN-JS"), Hub());
        inventory.SetState(edge.Id, NodeStates.Lost);
        var demand = Inference(Lanes.Interactive, slaMs: 10_000, zones: ["CN-ZJ"]);

        var result = _policy.Decide(demand, inventory, Now);

        Assert.Equal(PlacementOutcome.Queued, result.Outcome);
        Assert.Equal(2, result.RejectionCounts[RejectReason.ZoneNotAllowed]);
        Assert.Equal(1, result.RejectionCounts[RejectReason.NotReady]);
    }

    [Fact]
    public void Should_reject_nodes_over_the_max_price()
    {
        var inventory = Inventory(Regional(), Hub());
        var demand = Inference(Lanes.Batch) with { LatencySlaMs = null, MaxPricePerHour = 1.0m };

        var result = _policy.Decide(demand, inventory, Now);

        Assert.Equal("regional-hz", result.Chosen!.Node.Value);
        var hub = Assert.Single(result.Rejections);
        Assert.Equal(RejectReason.OverMaxPrice, hub.Reason);
        Assert.Contains("over the max price 1/h", hub.Describe());
    }

    [Fact]
    public void Should_shortlist_the_best_candidates_in_score_order_with_every_term()
    {
        var inventory = Inventory(Edge(), Edge("edge-f02", "ningbo-f02"), Regional(), Hub());

        var result = _policy.Decide(Inference(), inventory, Now);

        Assert.Equal(["edge-f01", "edge-f02", "regional-hz", "hub-gz"], result.Shortlist.Select(c => c.Node.Value));
        var totals = result.Shortlist.Select(c => c.Terms.Total).ToList();
        Assert.Equal(totals.Order(), totals);
        var t = result.Shortlist[2].Terms;
        Assert.Equal(t.TierCost + t.LatencyCost + t.PriceCost + t.GreenCost + t.LoadCost + t.EdgeHeadroomCost, t.Total, 9);
        Assert.Contains("lost on score: regional-hz", result.Explain());
    }

    [Fact]
    public void Should_keep_batch_work_off_the_edge_when_the_cloud_has_room()
    {
        var inventory = Inventory(Edge(), Regional());
        var demand = Inference(Lanes.Batch) with { LatencySlaMs = null, ExpectedDuration = TimeSpan.FromHours(2) };

        var result = _policy.Decide(demand, inventory, Now);

        Assert.Equal("regional-hz", result.Chosen!.Node.Value);
        Assert.True(result.Shortlist[1].Terms.EdgeHeadroomCost > 0);
    }

    [Fact]
    public void Should_answer_the_foundation_seam_with_a_reason_per_rejected_node()
    {
        IPlacementPolicy seam = new PlacementPolicy();
        var edge = Edge();
        var nodes = new[]
        {
            new NodeCapacity(edge, NodeStates.Cordoned, 8, 16_384, new Dictionary<string, int> { ["jetson-orin"] = 1 }),
            new NodeCapacity(Regional(), NodeStates.Ready, 96, 393_216, new Dictionary<string, int> { ["nvidia-l4"] = 8 }),
        };
        var query = new PlacementQuery(new TaskId("t-1"), new ResourceRequirements(2, 1024, new ChipRequirement("jetson-orin", 1)), [], Lanes.Batch);

        var decision = seam.Decide(query, nodes);

        Assert.Null(decision.Chosen);
        Assert.Equal(["edge-f01: node is cordoned", "regional-hz: has no jetson-orin chip"], decision.Rejections.Select(r => $"{r.Node}: {r.Reason}"));
    }

    [Fact]
    public void Should_match_any_chip_model_a_node_has_when_the_task_asks_for_any()
    {
        IPlacementPolicy seam = new PlacementPolicy();
        var nodes = new[]
        {
            new NodeCapacity(Edge(), NodeStates.Ready, 8, 16_384, new Dictionary<string, int>()),
            new NodeCapacity(Regional(), NodeStates.Ready, 96, 393_216, new Dictionary<string, int> { ["nvidia-l4"] = 8 }),
        };
        var query = new PlacementQuery(new TaskId("t-1"), new ResourceRequirements(2, 1024, new ChipRequirement(ChipRequirement.AnyModel, 2)), [], Lanes.Batch);

        var decision = seam.Decide(query, nodes);

        Assert.Equal("regional-hz", decision.Chosen?.Value);
    }
}
