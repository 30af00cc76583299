using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActorGrid.Gateway.Http;

// RFC 9457 problem details with a sentence a person can act on.
public static class Problems
{
    public static ProblemHttpResult Of(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: $"https://actorgrid.dev/problems/{status}");

    // An actor's refusal: its kind decides the status (RejectionStatus), its reason is the detail.
    public static ProblemHttpResult Rejected(string kind, string title, string detail) => Of(RejectionStatus.Of(kind), title, detail);

    public static ProblemHttpResult BadRequest(string detail) => Of(400, "The request is invalid", detail);

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "Fix the fields listed under 'errors' and send the request again.",
            title: "The request has invalid fields", type: "https://actorgrid.dev/problems/400");

    public static ProblemHttpResult NotFound(string what) => Of(404, "Not found", what);

    public static ProblemHttpResult Unauthorized(string detail) => Of(401, "Authentication required", detail);

    public static ProblemHttpResult Conflict(string detail) => Of(409, "Conflict", detail);

    public static ProblemHttpResult Unavailable(string detail) => Of(503, "The grid is not answering", detail);

    public static ProblemHttpResult TooLarge(long max) => Of(413, "The request body is too large", $"The body must be at most {max} bytes.");

    // 429 naming the limit that refused the request (an extension member, "limit"); with a
    // Retry-After header (whole seconds) when waiting is what helps.
    public static IResult TooManyRequests(string title, string detail, string limit, TimeSpan? retryAfter = null)
    {
        var extensions = new Dictionary<string, object?> { ["limit"] = limit };
        if (retryAfter is { } after) extensions["retryAfterSeconds"] = RetrySeconds(after);
        var problem = TypedResults.Problem(detail: detail, statusCode: 429, title: title, type: "https://actorgrid.dev/problems/429", extensions: extensions);
        return retryAfter is { } wait ? new WithRetryAfter(problem, RetrySeconds(wait)) : problem;
    }

    // Retry-After is whole seconds; rounding down would invite a retry that is refused again.
    public static int RetrySeconds(TimeSpan after) => Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));

    private sealed class WithRetryAfter(ProblemHttpResult problem, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return problem.ExecuteAsync(context);
        }
    }
}
