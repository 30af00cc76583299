using System.Globalization;

namespace ActorGrid.Gateway.TaskMetrics;

// ?since= and ?names= of the metric endpoints, checked: a time (ISO 8601) from which points are
// wanted, and the series wanted by name (comma-separated). Error: the sentence that says what to fix.
public sealed record TaskMetricFilter(long? SinceUnixMs, IReadOnlyCollection<string>? Names)
{
    public const int MaxNames = 64;

    public static (TaskMetricFilter? Filter, string? Error) Parse(string? since, string? names)
    {
        long? sinceMs = null;
        if (!string.IsNullOrWhiteSpace(since))
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return (null, $"since '{since}' is not a time; use ISO 8601, e.g. 2025-06-01T08:00:00Z.");
            sinceMs = at.ToUnixTimeMilliseconds();
        }
        string[]? wanted = null;
        if (names is not null)
        {
            wanted = [.. names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];
            if (wanted.Length == 0) return (null, "names is empty; name the series you want, e.g. names=loss,val_loss, or leave it out for all.");
            if (wanted.Length > MaxNames) return (null, $"names lists {wanted.Length} series; at most {MaxNames} may be asked for at once.");
        }
        return (new TaskMetricFilter(sinceMs, wanted), null);
    }
}
