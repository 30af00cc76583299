using System.Threading.RateLimiting;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Limits;

// One token bucket per tenant for task submissions: System.Threading.RateLimiting's partitioned
// limiter, the one ASP.NET Core's rate-limiting middleware runs. It is consulted after the caller
// is authenticated rather than in that middleware, which partitions before the endpoint runs: a
// forged key naming another tenant would then drain the victim's bucket. Each tenant is its own
// partition, so one tenant's flood never takes another's tokens. The partition key carries the
// limits, so a changed limit starts a fresh bucket and the old one is dropped once idle.
public sealed class SubmissionRateLimiter(TenantLimitsCache limits) : IDisposable
{
    private readonly PartitionedRateLimiter<Bucket> _buckets = PartitionedRateLimiter.Create<Bucket, Bucket>(bucket =>
        RateLimitPartition.GetTokenBucketLimiter(bucket, b => new TokenBucketRateLimiterOptions
        {
            TokenLimit = b.Burst,
            TokensPerPeriod = b.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0, // refuse at once: a queued HTTP request only holds a connection open
            AutoReplenishment = true,
        }));

    public readonly record struct Bucket(TenantId Tenant, int PerSecond, int Burst);

    // Null when the submission may go ahead; else the 429 to answer.
    public async Task<IResult?> RefuseAsync(TenantView tenant, CancellationToken cancel)
    {
        var applied = await limits.ForAsync(tenant, cancel);
        using var lease = _buckets.AttemptAcquire(new Bucket(tenant.Id, applied.SubmitPerSecond, applied.Burst));
        if (lease.IsAcquired) return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return Problems.TooManyRequests("Submission rate limit exceeded",
            $"Tenant '{tenant.Id}' may submit {applied.SubmitPerSecond} tasks per second, {applied.Burst} at once (limit submitPerSecond/burst). " +
            $"Retry after {Problems.RetrySeconds(retryAfter)} s, or ask an operator to raise the limit ('actorgrid tenants limits {tenant.Id} --submit-per-second N').",
            "submitPerSecond", retryAfter);
    }

    public void Dispose() => _buckets.Dispose();
}
