using ActorGrid.Core.Placement;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;

namespace ActorGrid.Runtime.Tests.Placement;

// The live placement actor decides over an inventory the view keeps up to date change by change
// instead of rebuilding it per decision. That is only safe if, after any sequence of changes, it
// is the inventory a rebuild would give: same nodes, free capacity and states, and so the same
// decisions. Random walks over every kind of change check exactly that.
public class CapacityViewSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 14, 0, 0, TimeSpan.Zero);
    private static readonly string[] Zones = ["CN-ZJ", "CN-JS", "CN-GZ"];
    private static readonly string[] States = [NodeStates.Ready, NodeStates.Ready, NodeStates.Ready, NodeStates.Cordoned, NodeStates.Draining, NodeStates.Lost];
    private static readonly string[] Models = ["jetson-orin", "nvidia-l4", "nvidia-h100"];
    private static readonly Topology Topology = new(
    [
        new TopologySite("ningbo-f01", Tiers.Edge, "ningbo", "zhejiang"),
        new TopologySite("hangzhou-r1", Tiers.Regional, "hangzhou", "zhejiang"),
        new TopologySite("guizhou-h1", Tiers.Hub, "guiyang", "guizhou"),
    ], Topology.PublicFigures, []);
    private static readonly PlacementPolicy Policy = new(topology: Topology);

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Should_keep_the_inventory_equal_to_a_rebuild_after_any_sequence_of_changes(int seed)
    {
        var rng = new Random(seed);
        var view = new CapacityView();
        var tasks = new List<TaskId>();
        var started = false;
        for (var step = 0; step < 300; step++)
        {
            Apply(view, rng, tasks, step);
            // The inventory is built on first use and followed from then on: start it at a random
            // point, so both an empty and a populated view are picked up correctly.
            if (!started && rng.Next(40) == 0)
            {
                view.Inventory(Topology);
                started = true;
            }
            if (started && step % 10 == 0) AssertSameAsRebuild(view, rng);
        }
        AssertSameAsRebuild(view, rng);
    }

    [Fact]
    public void Should_take_a_node_out_of_the_inventory_when_it_loses_its_member_and_back_when_it_returns()
    {
        var view = new CapacityView();
        var node = PlacementSamples.Node("edge-1", cpu: 8);
        view.Update(PlacementSamples.View(node), ActorRefs.Nobody);
        var inventory = view.Inventory(Topology);
        view.Reserve(node.Id, new Reservation(new TaskId("t-1"), 1, new TenantId("acme"), new ResourceRequirements(3, 512), Now));
        Assert.Equal(5, inventory.Find(node.Id)!.FreeCpu);

        view.Update(PlacementSamples.View(node) with { Member = null }, null);
        Assert.False(inventory.Contains(node.Id));

        view.Update(PlacementSamples.View(node, NodeStates.Cordoned), null);
        Assert.Same(inventory, view.Inventory(Topology));
        Assert.Equal(5, inventory.Find(node.Id)!.FreeCpu); // the reservation still holds its room
        Assert.Equal(NodeStates.Cordoned, inventory.Find(node.Id)!.State);
    }

    // A worker whose CUDA inference holds one of its two L4s: placement offers only the other.
    [Fact]
    public void Should_not_offer_a_chip_the_worker_holds_for_inference()
    {
        var view = new CapacityView();
        var node = PlacementSamples.Node("edge-gpu", cpu: 8, chips: new ChipSet("nvidia-l4", 2, 24576));
        var plain = PlacementSamples.View(node);
        var holding = plain with { Telemetry = plain.Telemetry! with { Held = [new HeldChip("nvidia-l4", 0, "inference")] } };
        view.Update(holding, ActorRefs.Nobody);
        var inventory = view.Inventory(Topology);
        Assert.Equal(1, view.CapacityOf(view.Find(node.Id)!).FreeChips["nvidia-l4"]);
        Assert.Equal(1, inventory.Find(node.Id)!.FreeChips["nvidia-l4"]);

        // A host restarted with own-chip off: both are offered again.
        view.Update(plain, null);
        Assert.Equal(2, inventory.Find(node.Id)!.FreeChips["nvidia-l4"]);
    }

    [Fact]
    public void Should_withhold_a_silent_node_until_a_newer_heartbeat_and_an_unreachable_one_until_it_is_reachable()
    {
        var view = new CapacityView();
        var node = PlacementSamples.Node("edge-1", cpu: 8);
        var heard = PlacementSamples.View(node);
        view.Update(heard, ActorRefs.Nobody);
        var inventory = view.Inventory(Topology);

        view.Silence(node.Id, "did not answer the award of t-1");
        Assert.False(inventory.Contains(node.Id));
        Assert.Equal("edge-1 (did not answer the award of t-1)", view.DescribeWithheld());
        // The same heartbeat again (one in flight when the host died) is not news.
        view.Update(heard, null);
        Assert.False(inventory.Contains(node.Id));
        view.Update(heard with { Telemetry = heard.Telemetry! with { At = heard.Telemetry.At.AddSeconds(1) } }, null);
        Assert.True(inventory.Contains(node.Id));

        Assert.True(view.SetReachable(heard.Member!, reachable: false));
        Assert.False(inventory.Contains(node.Id));
        Assert.Equal("edge-1 (its host is unreachable)", view.DescribeWithheld());
        Assert.False(view.SetReachable("akka.tcp://actorgrid@127.0.0.1:9", reachable: true));
        Assert.True(view.SetReachable(heard.Member!, reachable: true));
        Assert.True(inventory.Contains(node.Id));
        Assert.Equal("", view.DescribeWithheld());

        // The host restarted on another address while the old one was unreachable: offered again.
        view.SetReachable(heard.Member!, reachable: false);
        view.Update(heard with { Member = "akka.tcp://actorgrid@127.0.0.1:2" }, null);
        Assert.True(inventory.Contains(node.Id));
    }

    // One random change of any kind the placement actor makes: a heartbeat (new node, telemetry,
    // state, a changed descriptor, a node without member or worker), a reservation (possibly moving
    // a task, possibly oversubscribing, as holds may), a release, or a node's reservations all gone.
    private static void Apply(CapacityView view, Random rng, List<TaskId> tasks, int step)
    {
        var known = view.Nodes.Select(n => n.View.Id).ToList();
        switch (rng.Next(10))
        {
            case < 4:
            {
                var id = known.Count > 0 && rng.Next(3) > 0 ? known[rng.Next(known.Count)] : new NodeId($"n-{rng.Next(30):00}");
                var descriptor = rng.Next(12) == 0 ? null : Descriptor(id, rng);
                var nodeView = new NodeView(id, descriptor, States[rng.Next(States.Length)], rng.Next(10) == 0 ? null : "akka.tcp://actorgrid@127.0.0.1:1",
                    null, Now);
                view.Update(nodeView, rng.Next(6) == 0 ? null : ActorRefs.Nobody);
                break;
            }
            case < 7 when known.Count > 0:
            {
                var node = known[rng.Next(known.Count)];
                var task = tasks.Count > 0 && rng.Next(4) == 0 ? tasks[rng.Next(tasks.Count)] : new TaskId($"t-{step}");
                if (!tasks.Contains(task)) tasks.Add(task);
                var chips = rng.Next(2) == 0 ? null : new ChipRequirement(Models[rng.Next(Models.Length)], 1 + rng.Next(3));
                var requirements = new ResourceRequirements(Math.Round(rng.NextDouble() * 8, 2), 256L * rng.Next(1, 40), chips);
                view.Reserve(node, new Reservation(task, 1 + rng.Next(2), new TenantId("acme"), requirements, Now, Lanes.Batch, rng.Next(2) == 0));
                break;
            }
            case < 9 when tasks.Count > 0:
                view.Release(tasks[rng.Next(tasks.Count)], rng.Next(3) == 0 ? 1 + rng.Next(2) : null);
                break;
            case 9 when known.Count > 0 && rng.Next(2) == 0:
                // A node withheld (silent, or its member unreachable) or its member reachable again.
                if (rng.Next(3) == 0) view.Silence(known[rng.Next(known.Count)], "silent");
                else view.SetReachable("akka.tcp://actorgrid@127.0.0.1:1", rng.Next(2) == 0);
                break;
            default:
                if (known.Count > 0) view.ReleaseAll(known[rng.Next(known.Count)]);
                break;
        }
    }

    private static NodeDescriptor Descriptor(NodeId id, Random rng)
    {
        var chips = rng.Next(3) switch
        {
            0 => Array.Empty<ChipSet>(),
            1 => [new ChipSet(Models[rng.Next(Models.Length)], 1 + rng.Next(8), 16_384L << rng.Next(3))],
            _ => [new ChipSet(Models[0], 1 + rng.Next(4), 16_384), new ChipSet(Models[1 + rng.Next(2)], 1 + rng.Next(4), 81_920)],
        };
        var site = Topology.Sites[rng.Next(Topology.Sites.Count)];
        return new NodeDescriptor(id, site.Tier, site.Name, Zones[rng.Next(Zones.Length)], 1 + rng.Next(32), 1024L * rng.Next(1, 64), chips,
            rng.Next(4), (decimal)(rng.Next(5) * 0.01), new Dictionary<string, string>(),
            rng.Next(2) == 0 ? [.. Enumerable.Range(0, 24).Select(_ => rng.NextDouble())] : null);
    }

    private static void AssertSameAsRebuild(CapacityView view, Random rng)
    {
        var live = view.Inventory(Topology);
        var fresh = view.Rebuild(Topology);
        Assert.Equal(fresh.Count, live.Count);
        foreach (var expected in fresh.Nodes)
        {
            var actual = live.Find(expected.Descriptor.Id);
            Assert.NotNull(actual);
            Assert.Same(expected.Descriptor, actual.Descriptor);
            Assert.Equal(expected.State, actual.State);
            Assert.Equal(expected.FreeCpu, actual.FreeCpu);
            Assert.Equal(expected.FreeMemoryMiB, actual.FreeMemoryMiB);
            Assert.Equal(expected.FreeChips.OrderBy(c => c.Key), actual.FreeChips.OrderBy(c => c.Key));
            Assert.Equal(expected.EstimatedQueueWait, actual.EstimatedQueueWait);
        }

        // Same rows, and the same zone and chip indexes: decisions through the indexed scan and
        // through the live shortlist (every node explained) come out the same over both.
        for (var i = 0; i < 8; i++)
        {
            var request = Request(rng, i);
            var demand = CandidateShortlist.DemandOf(request);
            var a = Policy.Decide(demand, fresh, Now);
            var b = Policy.Decide(demand, live, Now);
            Assert.Equal(a.Outcome, b.Outcome);
            Assert.Equal(a.Reason, b.Reason);
            Assert.Equal(a.Shortlist, b.Shortlist);
            Assert.Equal(a.RejectionCounts.OrderBy(c => c.Key), b.RejectionCounts.OrderBy(c => c.Key));
            // Which of several equally near rejected nodes get explained depends on row order
            // (which a node leaving and returning changes), so check each explanation is the
            // one a rebuild gives for that node rather than comparing the lists.
            Assert.Equal(a.Rejections.Count, b.Rejections.Count);
            foreach (var rejection in b.Rejections) Assert.Equal(rejection, Policy.Check(demand, fresh, rejection.Node, Now));

            var before = CandidateShortlist.Build(request, view, fresh, Policy, Now);
            var after = CandidateShortlist.Build(request, view, Policy, Topology, Now);
            Assert.Equal(before.Outcome, after.Outcome);
            Assert.Equal(before.Explanation, after.Explanation);
            Assert.Equal(before.Shortlist.Select(c => (c.Node, c.Score, c.Requirements)), after.Shortlist.Select(c => (c.Node, c.Score, c.Requirements)));
            Assert.Equal(before.Rejected.Count, after.Rejected.Count);
            foreach (var rejected in after.Rejected) Assert.Equal(Policy.Check(demand, fresh, rejected.Node, Now)?.Describe(), rejected.Verdict);
        }
    }

    private static RequestPlacement Request(Random rng, int n)
    {
        var chips = rng.Next(3) switch
        {
            0 => null,
            1 => new ChipRequirement(ChipRequirement.AnyModel, 1 + rng.Next(2)),
            _ => new ChipRequirement(Models[rng.Next(Models.Length)], 1 + rng.Next(3)),
        };
        var zones = rng.Next(2) == 0 ? [] : Zones.Where(_ => rng.Next(2) == 0).ToArray();
        var lane = Lanes.All[rng.Next(Lanes.All.Count)];
        var hints = new PlacementHints(
            OriginSite: rng.Next(4) > 0 ? Topology.Sites[rng.Next(Topology.Sites.Count)].Name : null,
            SlaMs: rng.Next(3) == 0 ? 20 + rng.Next(400) : null,
            Preemptible: lane is Lanes.Batch or Lanes.Deferrable);
        return new RequestPlacement(new TaskId($"r-{n}"), 1, new TenantId("acme"),
            new ResourceRequirements(Math.Round(0.5 + rng.NextDouble() * 8, 1), 256L * rng.Next(1, 30), chips), zones, lane,
            TenantQuota.Default, Now, hints);
    }
}
