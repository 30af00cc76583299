using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorGrid.Protocol;

// Small id types so a task id cannot be passed where a tenant id is expected.
// All ids are restricted to [a-z0-9-_.] so they are safe in URLs, persistence ids and topics.
public static partial class IdRules
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    public static string Require(string? value, string what) =>
        IsValid(value)
            ? value!
            : throw new ArgumentException(
                $"{what} '{value}' is not valid: use 1-63 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit.");
}

public readonly record struct TaskId(string Value)
{
    public override string ToString() => Value;

    public static TaskId New() => new("t-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant());

    // A retried POST with the same idempotency key lands on the same entity, which is what makes it idempotent.
    public static TaskId FromIdempotencyKey(TenantId tenant, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(tenant.Value + "\n" + key));
        return new("t-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant());
    }
}

public readonly record struct TenantId(string Value)
{
    public override string ToString() => Value;
}

public readonly record struct NodeId(string Value)
{
    public override string ToString() => Value;
}
