using System.Text.Json;
using ActorGrid.Core.Nodes;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Serialization;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Nodes;

public class NodeStateSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private const string Member = "akka.tcp://actorgrid@127.0.0.1:4054";

    private static ReportNodeStatus Report(NodeDescriptor d, string member = Member) =>
        new(d.Id, d, member, Akka.Actor.ActorRefs.Nobody, new NodeTelemetry(T0, d.Cpu, d.MemoryMiB, []));

    private static NodeState Registered(NodeDescriptor d)
    {
        var s = NodeState.Empty(d.Id);
        return s.DecideReport(Report(d), T0).Aggregate(s, (state, e) => state.Apply(e));
    }

    [Fact]
    public void Should_not_re_register_on_a_heartbeat_whose_descriptor_crossed_the_wire()
    {
        var d = Node("edge-1", chips: [new ChipSet("jetson-orin", 1, 8192), new ChipSet("nvidia-l4", 2, 23034, [1, 3])]) with
        {
            Labels = new Dictionary<string, string> { ["arch"] = "arm64" },
            GreenShareByHour = [.. Enumerable.Repeat(0.5, 24)],
        };
        var s = Registered(d);
        var options = ActorGridSerializer.CreateOptions();
        var copy = JsonSerializer.Deserialize<NodeDescriptor>(JsonSerializer.Serialize(d, options), options)!;
        Assert.NotSame(d.Chips, copy.Chips);
        Assert.Empty(s.DecideReport(Report(copy), T0));
        // Detected device numbers are part of what the node is: other cards are a new registration.
        var moved = copy with { Chips = [copy.Chips[0], copy.Chips[1] with { Indices = [1, 2] }] };
        Assert.NotEmpty(s.DecideReport(Report(moved), T0));
    }

    [Fact]
    public void Should_register_again_when_the_descriptor_or_member_changes_and_keep_a_cordon()
    {
        var d = Node("edge-1");
        var s = Registered(d);
        Assert.Single(s.DecideReport(Report(d with { Cpu = 8 }), T0));
        Assert.Single(s.DecideReport(Report(d, "akka.tcp://actorgrid@127.0.0.1:9999"), T0));

        s = s.DecideCordon(new CordonNode(d.Id, "maintenance"), T0).Aggregate(s, (state, e) => state.Apply(e));
        s = s.DecideReport(Report(d, "akka.tcp://actorgrid@127.0.0.1:9999"), T0).Aggregate(s, (state, e) => state.Apply(e));
        Assert.Equal(NodeStates.Cordoned, s.State);
    }
}
