using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Gateway.Limits;

// The body of PUT /v1/tenants/{id}/limits and the "limits" of POST /v1/tenants. Fields left out
// keep their current (or default) value.
public sealed record LimitsRequest(int? SubmitPerSecond, int? Burst, int? MaxQueued);

// Turns a limits body into the limits to store, or into field errors. The maxima are far above
// any honest tenant's needs and low enough that a typo cannot switch the controls off.
public static class LimitsRequestValidation
{
    public const int MaxSubmitPerSecond = 10_000;
    public const int MaxBurst = 100_000;
    public const int MaxQueued = 1_000_000;

    public static (TenantLimits? Limits, Dictionary<string, string[]> Errors) Validate(LimitsRequest req, TenantLimits current)
    {
        var errors = new Dictionary<string, string[]>();
        if (req.SubmitPerSecond is null && req.Burst is null && req.MaxQueued is null)
        {
            errors["limits"] = ["Give submitPerSecond, burst, maxQueued or several, e.g. {\"submitPerSecond\":50,\"burst\":100,\"maxQueued\":5000}."];
            return (null, errors);
        }
        var limits = new TenantLimits(req.SubmitPerSecond ?? current.SubmitPerSecond, req.Burst ?? current.Burst, req.MaxQueued ?? current.MaxQueued);
        foreach (var (field, message) in Problems(limits)) errors[field] = [message];
        return errors.Count > 0 ? (null, errors) : (limits, errors);
    }

    // Also applied to the defaults in HOCON, so a gateway does not start with limits it would refuse.
    public static IEnumerable<(string Field, string Message)> Problems(TenantLimits limits)
    {
        if (limits.SubmitPerSecond is < 1 or > MaxSubmitPerSecond)
            yield return ("submitPerSecond", $"submitPerSecond must be a whole number from 1 to {MaxSubmitPerSecond} (task submissions per second), was {limits.SubmitPerSecond}.");
        if (limits.Burst is < 1 or > MaxBurst)
            yield return ("burst", $"burst must be a whole number from 1 to {MaxBurst} (submissions accepted at once), was {limits.Burst}.");
        else if (limits.Burst < limits.SubmitPerSecond)
            yield return ("burst", $"burst ({limits.Burst}) must be at least submitPerSecond ({limits.SubmitPerSecond}): the bucket must hold one second's refill. Raise burst or give both.");
        if (limits.MaxQueued is < 1 or > MaxQueued)
            yield return ("maxQueued", $"maxQueued must be a whole number from 1 to {MaxQueued} (unfinished tasks at once), was {limits.MaxQueued}.");
    }
}
