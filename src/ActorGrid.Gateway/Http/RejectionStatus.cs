using ActorGrid.Protocol;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Http;

// The one place a refusal's reason (RejectionKinds, from the entities and workers) becomes an
// HTTP status. A kind this gateway does not know (a newer peer's) reads as 503: the request did
// not go through, and a retry is the safe advice.
public static class RejectionStatus
{
    public static int Of(string? kind) => kind switch
    {
        RejectionKinds.Invalid => StatusCodes.Status400BadRequest,
        RejectionKinds.NotFound => StatusCodes.Status404NotFound,
        RejectionKinds.Conflict => StatusCodes.Status409Conflict,
        RejectionKinds.Gone => StatusCodes.Status410Gone,
        RejectionKinds.Throttled => StatusCodes.Status429TooManyRequests,
        RejectionKinds.Failed => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status503ServiceUnavailable,
    };
}
