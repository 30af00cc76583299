using System.Text.Json.Serialization;
using ActorGrid.Protocol.Bundles;

namespace ActorGrid.Protocol.Tasks;

public static class TaskKinds
{
    public const string Process = "process";

    // A command run as `workers` ranks, each owning its chips and given the torchrun environment;
    // on success its output file becomes a version of the tenant's model (TrainingOutput).
    public const string Training = "training";
    public static readonly IReadOnlyList<string> All = [Process, Training];
}

public static class Lanes
{
    public const string Realtime = "realtime";
    public const string Interactive = "interactive";
    public const string Batch = "batch";
    public const string Deferrable = "deferrable";
    public static readonly IReadOnlyList<string> All = [Realtime, Interactive, Batch, Deferrable];

    // Lower rank is served first.
    public static int Rank(string lane) => lane switch
    {
        Realtime => 0,
        Interactive => 1,
        Batch => 2,
        _ => 3,
    };
}

// Model "any" asks for any GPU with at least MinMemoryMiB of memory each.
public sealed record ChipRequirement(string Model, int Count, long MinMemoryMiB = 0)
{
    public const string AnyModel = "any";
}

public sealed record ResourceRequirements(double Cpu, long MemoryMiB, ChipRequirement? Chips = null);

// What the tenant asked to run. Immutable once submitted. The trailing placement hints are
// optional so events written before they existed read back unchanged. Bundle: the code and data
// unpacked into the attempt's working directory before it starts; left out of the JSON when
// there is none, so specs written before it existed (and their request fingerprints) stay the same.
// PreemptionGraceSeconds: how long a preempted or drained attempt has between SIGTERM and SIGKILL
// to checkpoint; null takes the worker's setting for its kind (left out of the JSON the same way).
public sealed record TaskSpec(
    string Kind,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env,
    string? WorkingDirectory,
    int TimeoutSeconds,
    ResourceRequirements Requirements,
    string Lane,
    int MaxAttempts,
    IReadOnlyList<string> AllowedZones,
    string? OriginSite = null,
    int? SlaMs = null,
    DateTimeOffset? Deadline = null,
    decimal? MaxPricePerHour = null,
    double InputSizeMiB = 0,
    bool Preemptible = false,
    int? ExpectedDurationSeconds = null,
    int Workers = 1,
    TrainingOutput? Output = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BundleRef? Bundle = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? PreemptionGraceSeconds = null);

// What a training task leaves behind: rank 0's ACTORGRID_OUTPUT_DIR/<File> becomes the next version
// of the tenant's model <Model>. With Deploy, that version is deployed with the selector when
// PromoteIf holds on the last metrics the task reported (or there is no PromoteIf).
public sealed record TrainingOutput(string Model, string File, Models.NodeSelector? Deploy = null, PromoteCondition? PromoteIf = null);

// A metric and a bound: holds when the metric was reported and is below `Below` / above `Above`
// (each given bound must hold).
public sealed record PromoteCondition(string Metric, double? Below = null, double? Above = null)
{
    // Null when it holds; otherwise why not, in words for the task's history.
    public string? WhyNot(IReadOnlyDictionary<string, double>? metrics)
    {
        if (metrics is null || !metrics.TryGetValue(Metric, out var value))
            return $"the task never reported the metric {Metric}";
        var shown = value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        if (Below is { } below && !(value < below))
            return $"{Metric} = {shown} is not below {below.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (Above is { } above && !(value > above))
            return $"{Metric} = {shown} is not above {above.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        return null;
    }
}

public static class TaskStates
{
    public const string Submitted = "submitted";
    public const string Queued = "queued";
    public const string Placed = "placed";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public static readonly IReadOnlyList<string> All = [Submitted, Queued, Placed, Running, Succeeded, Failed, Cancelled];

    public static bool IsTerminal(string state) => state is Succeeded or Failed or Cancelled;
}
