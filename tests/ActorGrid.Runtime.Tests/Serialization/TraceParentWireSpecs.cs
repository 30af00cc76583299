using System.Text.Json;
using System.Text.Json.Nodes;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Runtime.Tests.Serialization;

// The traceparent rides on the submission path's messages as an optional last field: a host that
// does not send it (an older one, or one with tracing off) must still be read.
public class TraceParentWireSpecs
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly JsonSerializerOptions Options = ActorGridSerializer.CreateOptions();

    private static readonly RequestPlacement Request = new(
        new TaskId("t-1"), 1, new TenantId("acme"), new ResourceRequirements(1, 128), ["local"], "batch",
        new TenantQuota(8, 0), DateTimeOffset.Parse("2026-12-02T07:00:00Z"), PlacementHints.None, TraceParent);

    [Fact]
    public void Should_carry_the_traceparent_across_the_wire()
    {
        var back = JsonSerializer.Deserialize<RequestPlacement>(JsonSerializer.SerializeToUtf8Bytes(Request, Options), Options)!;

        Assert.Equal(TraceParent, back.TraceParent);
    }

    [Fact]
    public void Should_read_a_request_without_a_traceparent_as_one_with_none()
    {
        var json = JsonSerializer.SerializeToNode(Request, Options)!.AsObject();
        Assert.True(json.Remove("traceParent"), json.ToJsonString());

        var back = JsonSerializer.Deserialize<RequestPlacement>(json.ToJsonString(), Options)!;

        Assert.Null(back.TraceParent);
        Assert.Equal((Request.TaskId, Request.Attempt, Request.Lane), (back.TaskId, back.Attempt, back.Lane));
    }
}
