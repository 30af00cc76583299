using System.Text.RegularExpressions;
using ActorGrid.Protocol.Bundles;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Gateway.Apis;

public sealed record SubmitTaskRequest(
    string? Kind,
    List<string>? Command,
    Dictionary<string, string>? Env,
    string? WorkingDirectory,
    int? TimeoutSeconds,
    RequirementsRequest? Requirements,
    string? Lane,
    int? MaxAttempts,
    string? IdempotencyKey,
    List<string>? Zones,
    string? OriginSite = null,
    int? SlaMs = null,
    DateTimeOffset? Deadline = null,
    decimal? MaxPricePerHour = null,
    double? InputSizeMiB = null,
    bool? Preemptible = null,
    int? ExpectedDurationSeconds = null,
    int? Workers = null,
    TrainingOutputRequest? Output = null,
    string? Bundle = null,
    int? PreemptionGraceSeconds = null);

public sealed record TrainingOutputRequest(string? Model, string? File, NodeSelectorJson? Deploy, PromoteIfRequest? PromoteIf);

public sealed record PromoteIfRequest(string? Metric, double? Below, double? Above);

public sealed record RequirementsRequest(double? Cpu, long? MemoryMiB, ChipsRequest? Chips);

public sealed record ChipsRequest(string? Model, int? Count);

// Turns a submitted body into a TaskSpec, or into field errors. Limits are generous for real
// work and tight enough that an absurd request is refused before it reaches the journal.
// findBundle answers the tenant's own bundle for a SHA-256 (null: it has none by that hash);
// UnknownBundle is then set, and the endpoint answers 404 when nothing else is wrong.
public static partial class TaskRequestValidation
{
    public const int MaxTimeoutSeconds = 7 * 24 * 3600;
    public const int MaxWorkers = 64;
    public const int MaxPreemptionGraceSeconds = 600;

    [GeneratedRegex("^[A-Za-z0-9-]{1,32}$")]
    private static partial Regex ZonePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    public static bool IsZone(string? zone) => zone is not null && ZonePattern().IsMatch(zone);

    public static (TaskSpec? Spec, Dictionary<string, string[]> Errors, string? UnknownBundle) Validate(
        SubmitTaskRequest req, TenantView tenant, DateTimeOffset now, Func<string, BundleRef?>? findBundle = null)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [message];

        var kind = req.Kind ?? TaskKinds.Process;
        if (!TaskKinds.All.Contains(kind)) Fail("kind", $"Unknown kind '{kind}'; use one of: {string.Join(", ", TaskKinds.All)}.");

        var command = req.Command ?? [];
        if (command.Count == 0 || string.IsNullOrWhiteSpace(command[0])) Fail("command", "Give the command as a non-empty array, e.g. [\"sh\", \"-c\", \"echo hi\"].");
        else if (command.Count > 1024 || command.Any(a => a is null || a.Length > 32 * 1024)) Fail("command", "At most 1024 arguments of at most 32 KiB each, none null.");

        var env = req.Env ?? [];
        if (env.Count > 256 || env.Any(e => !EnvName().IsMatch(e.Key) || e.Value is null || e.Value.Length > 32 * 1024))
            Fail("env", "Environment variables are up to 256 NAME=value pairs; names are letters, digits and '_', values strings of at most 32 KiB.");

        if (req.WorkingDirectory is { } wd && (wd.Length == 0 || wd.Length > 4096 || !Path.IsPathRooted(wd)))
            Fail("workingDirectory", "The working directory must be an absolute path.");

        var timeout = req.TimeoutSeconds ?? 3600;
        if (timeout is < 1 or > MaxTimeoutSeconds) Fail("timeoutSeconds", $"The timeout must be between 1 and {MaxTimeoutSeconds} seconds.");

        var r = req.Requirements ?? new RequirementsRequest(null, null, null);
        var cpu = r.Cpu ?? 1;
        var memory = r.MemoryMiB ?? 256;
        if (cpu is <= 0 or > 4096 || double.IsNaN(cpu)) Fail("requirements.cpu", "cpu must be above 0 and at most 4096.");
        if (memory is <= 0 or > 64L * 1024 * 1024) Fail("requirements.memoryMiB", "memoryMiB must be above 0 and at most 67108864 (64 TiB).");
        ChipRequirement? chips = null;
        if (r.Chips is { } c)
        {
            if (string.IsNullOrWhiteSpace(c.Model) || c.Model.Length > 64) Fail("requirements.chips.model", "Name the chip model, e.g. \"nvidia-h100\".");
            if (c.Count is null or < 1 or > 1024) Fail("requirements.chips.count", "count must be between 1 and 1024.");
            chips = new ChipRequirement(c.Model ?? "", c.Count ?? 0);
        }
        if (cpu > tenant.Quota.MaxCpu) Fail("requirements.cpu", $"The task asks for {cpu} cpu but the tenant's quota allows at most {tenant.Quota.MaxCpu}.");
        if (chips is not null && chips.Count > tenant.Quota.MaxChips) Fail("requirements.chips.count", $"The task asks for {chips.Count} chips but the tenant's quota allows at most {tenant.Quota.MaxChips}.");

        var lane = req.Lane ?? Lanes.Batch;
        if (!Lanes.All.Contains(lane)) Fail("lane", $"Unknown lane '{lane}'; use one of: {string.Join(", ", Lanes.All)}.");

        var maxAttempts = req.MaxAttempts ?? 3;
        if (maxAttempts is < 1 or > 20) Fail("maxAttempts", "maxAttempts must be between 1 and 20.");

        if (req.IdempotencyKey is { } key && (key.Length is 0 or > 200)) Fail("idempotencyKey", "The idempotency key must be 1-200 characters.");

        // Residency: a task may narrow its tenant's zones, never widen them.
        var zones = tenant.Zones.ToList();
        if (req.Zones is { } asked)
        {
            var outside = asked.Where(z => tenant.Zones.Count > 0 && !tenant.Zones.Contains(z)).ToList();
            if (asked.Count == 0 || asked.Any(z => !IsZone(z))) Fail("zones", "zones must be a non-empty list of zone codes.");
            else if (outside.Count > 0) Fail("zones", $"The tenant's data may not go to {string.Join(", ", outside)}; allowed: {string.Join(", ", tenant.Zones)}.");
            else zones = asked.Distinct().ToList();
        }

        // Placement hints: where the data comes from and what the answer is worth.
        if (req.OriginSite is { } origin && !IsZone(origin)) Fail("originSite", "originSite is a site name like 'ningbo-f03' (letters, digits, '-', at most 32 characters).");
        if (req.SlaMs is < 1 or > 86_400_000) Fail("slaMs", "slaMs must be between 1 and 86400000 (a day).");
        if (req.Deadline is { } deadline && deadline <= now) Fail("deadline", $"The deadline {deadline:O} is already past.");
        if (req.MaxPricePerHour is < 0 or > 1_000_000) Fail("maxPricePerHour", "maxPricePerHour must be between 0 and 1000000.");
        if (req.InputSizeMiB is < 0 or > 16 * 1024 * 1024) Fail("inputSizeMiB", "inputSizeMiB must be between 0 and 16777216 (16 TiB).");
        if (req.ExpectedDurationSeconds is < 1 or > MaxTimeoutSeconds) Fail("expectedDurationSeconds", $"expectedDurationSeconds must be between 1 and {MaxTimeoutSeconds}.");
        if (lane == Lanes.Realtime && req.Preemptible == true) Fail("preemptible", "A realtime task cannot be preemptible: it is the lane that preempts.");
        // The realtime task that preempts waits out the grace before it starts: ten minutes at most.
        if (req.PreemptionGraceSeconds is < 0 or > MaxPreemptionGraceSeconds)
            Fail("preemptionGraceSeconds", $"preemptionGraceSeconds must be between 0 and {MaxPreemptionGraceSeconds}: how long the task has to checkpoint between SIGTERM and SIGKILL when it is preempted or drained.");

        var (workers, output) = ValidateTraining(req, kind, Fail);
        // Requirements are per rank: the quota bounds the whole gang.
        if (workers > 1 && !errors.ContainsKey("workers"))
        {
            if (chips is not null && chips.Count * workers > tenant.Quota.MaxChips)
                Fail("workers", $"{workers} ranks of {chips.Count} chips each need {chips.Count * workers} chips but the tenant's quota allows at most {tenant.Quota.MaxChips}.");
            else if (cpu * workers > tenant.Quota.MaxCpu)
                Fail("workers", $"{workers} ranks of {cpu} cpu each need {cpu * workers} cpu but the tenant's quota allows at most {tenant.Quota.MaxCpu}.");
        }

        BundleRef? bundle = null;
        string? unknownBundle = null;
        if (req.Bundle is { } sha)
        {
            if (sha.Length != 64 || !sha.All(ch => ch is >= '0' and <= '9' or >= 'a' and <= 'f'))
                Fail("bundle", "bundle is the sha256 that POST /v1/bundles answered: 64 lower-case hex characters.");
            else if ((bundle = findBundle?.Invoke(sha)) is null)
            {
                unknownBundle = sha;
                Fail("bundle", $"Bundle '{sha}' does not exist for this tenant; upload it with POST /v1/bundles and use the sha256 it answers.");
            }
        }

        if (errors.Count > 0) return (null, errors, unknownBundle);
        var spec = new TaskSpec(kind, command, env, req.WorkingDirectory, timeout, new ResourceRequirements(cpu, memory, chips), lane, maxAttempts, zones,
            req.OriginSite, req.SlaMs, req.Deadline, req.MaxPricePerHour, req.InputSizeMiB ?? 0, req.Preemptible ?? false, req.ExpectedDurationSeconds,
            workers, output, bundle, req.PreemptionGraceSeconds);
        return (spec, errors, null);
    }

    // workers and output belong to training. requirements are per rank; placement puts the gang
    // on one node, or splits it over several when none holds it (TrainingGang, GangPlanner).
    private static (int Workers, TrainingOutput? Output) ValidateTraining(SubmitTaskRequest req, string kind, Action<string, string> fail)
    {
        if (kind != TaskKinds.Training)
        {
            if (req.Workers is not null) fail("workers", $"workers is for kind \"{TaskKinds.Training}\"; leave it out of a {kind} task.");
            if (req.Output is not null) fail("output", $"output is for kind \"{TaskKinds.Training}\"; leave it out of a {kind} task.");
            return (1, null);
        }
        var workers = req.Workers ?? 1;
        if (workers is < 1 or > MaxWorkers) fail("workers", $"workers must be a whole number between 1 and {MaxWorkers}.");
        if (req.Output is not { } o) return (workers, null);
        if (!ModelNames.IsValid(o.Model)) fail("output.model", $"Name the model the output becomes a version of: {ModelNames.Rule}.");
        var file = o.File ?? "";
        if (file.Length is 0 or > 255 || file.Contains('/') || file.Contains('\\') || file is "." or "..")
            fail("output.file", "Name the file the task writes into ACTORGRID_OUTPUT_DIR, e.g. \"model.onnx\" (a plain file name, no '/').");
        NodeSelector? deploy = null;
        if (o.Deploy is { } d)
        {
            if (d.Tier is null && d.Site is null && d.Zone is null && d.Nodes is not { Length: > 0 })
                fail("output.deploy", "Say where to deploy the trained model: give at least one of tier, site, zone or nodes, e.g. {\"tier\":\"edge\"}.");
            else if (d.Tier is { } tier && !Tiers.All.Contains(tier))
                fail("output.deploy.tier", $"Tier '{tier}' is not one of {string.Join(", ", Tiers.All)}.");
            deploy = new NodeSelector(d.Tier, d.Site, d.Zone, d.Nodes is { Length: > 0 } nodes ? [.. nodes] : null);
        }
        PromoteCondition? promoteIf = null;
        if (o.PromoteIf is { } p)
        {
            if (deploy is null) fail("output.promoteIf", "promoteIf decides whether the new version is deployed; give output.deploy too, or leave promoteIf out.");
            if (string.IsNullOrWhiteSpace(p.Metric) || p.Metric.Length > 128)
                fail("output.promoteIf.metric", "Name the metric the task reports that decides promotion, e.g. \"val_loss\".");
            if (p.Below is null && p.Above is null)
                fail("output.promoteIf", "Give a bound for the metric: \"below\" or \"above\", e.g. {\"metric\":\"val_loss\",\"below\":0.05}.");
            else if ((p.Below is { } b && !double.IsFinite(b)) || (p.Above is { } a && !double.IsFinite(a)))
                fail("output.promoteIf", "below and above must be finite numbers.");
            promoteIf = new PromoteCondition(p.Metric ?? "", p.Below, p.Above);
        }
        return (workers, new TrainingOutput(o.Model ?? "", file, deploy, promoteIf));
    }
}
