using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;

namespace ActorGrid.Gateway.Tests.Http;

// Refusals carry a reason; the gateway alone turns it into the status the API has always returned.
public class RejectionStatusSpecs
{
    [Theory]
    [InlineData(RejectionKinds.Invalid, 400)]
    [InlineData(RejectionKinds.NotFound, 404)]
    [InlineData(RejectionKinds.Conflict, 409)]
    [InlineData(RejectionKinds.Gone, 410)]
    [InlineData(RejectionKinds.Throttled, 429)]
    [InlineData(RejectionKinds.Failed, 500)]
    [InlineData(RejectionKinds.Unavailable, 503)]
    [InlineData("a-kind-from-a-newer-peer", 503)]
    [InlineData(null, 503)]
    public void Should_map_each_rejection_kind_to_the_status_the_api_returns(string? kind, int status) =>
        Assert.Equal(status, RejectionStatus.Of(kind));
}
