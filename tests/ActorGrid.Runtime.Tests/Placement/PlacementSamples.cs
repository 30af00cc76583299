using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Runtime.Tests.Placement;

public static class PlacementSamples
{
    public static NodeDescriptor Node(string id, string zone = "CN-ZJ", double cpu = 4, long memory = 8192, params ChipSet[] chips) =>
        new(new NodeId(id), Tiers.Edge, "ningbo-f03", zone, cpu, memory, chips, 0, 0, new Dictionary<string, string>());

    public static NodeView View(NodeDescriptor d, string state = NodeStates.Ready, string member = "akka.tcp://actorgrid@127.0.0.1:1") =>
        new(d.Id, d, state, member, new NodeTelemetry(DateTimeOffset.UtcNow, d.Cpu, d.MemoryMiB, []), DateTimeOffset.UtcNow);
}
