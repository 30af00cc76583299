using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Gateway.Apis;

public sealed record TaskAcceptedResponse(string Id, string State);

public sealed record TaskAttemptResponse(int Attempt, string? Node, DateTimeOffset? PlacedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, int? ExitCode, string? Outcome, string? Reason, decimal PricePerHour, decimal Cost,
    TaskCheckpointResponse? Checkpoint = null, IReadOnlyList<TaskGangHostResponse>? Gang = null, string? EndedBy = null);

// One host of an attempt split over several nodes and the global ranks it ran (its cluster
// address is internal and stays out).
public sealed record TaskGangHostResponse(string Node, int NodeRank, int FirstRank, int Ranks)
{
    public static IReadOnlyList<TaskGangHostResponse>? Of(IReadOnlyList<GangMember>? gang) =>
        gang is null ? null : [.. gang.Select(m => new TaskGangHostResponse(m.Node.Value, m.NodeRank, m.FirstRank, m.Ranks))];
}

// The checkpoint an attempt left for the next one. Holders are internal actor paths, so tenants
// see only how many hosts keep a copy.
public sealed record TaskCheckpointResponse(string Sha256, long SizeBytes, DateTimeOffset PackedAt, int Copies)
{
    public static TaskCheckpointResponse? Of(CheckpointRef? c) => c is null ? null : new(c.Sha256, c.SizeBytes, c.PackedAt, c.Holders.Count);
}

public sealed record TaskResponse(
    string Id, string Tenant, string Kind, string State, string Lane,
    IReadOnlyList<string> Command, ResourceRequirements Requirements, IReadOnlyList<string> AllowedZones, int MaxAttempts,
    IReadOnlyList<TaskAttemptResponse> Attempts, IReadOnlyList<JsonObject>? History,
    double? Progress, IReadOnlyDictionary<string, double>? Metrics, string StdoutTail, string StderrTail, string? Reason,
    DateTimeOffset SubmittedAt, DateTimeOffset UpdatedAt, TaskPlacementHints Hints, Protocol.Placement.PlacementExplanation? Placement, decimal Cost,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Workers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingOutput? Output = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TaskModelOutcome? Model = null,
    string? Bundle = null);

// The placement hints as submitted, echoed so a client sees what placement weighed.
public sealed record TaskPlacementHints(string? OriginSite, int? SlaMs, DateTimeOffset? Deadline, decimal? MaxPricePerHour, double InputSizeMiB, bool Preemptible, int? ExpectedDurationSeconds);

// How tasks look to clients: the contract in issue 2 (id, tenant, kind, state, lane, attempts,
// history, progress, tails), built from the entity's view.
public static class TaskResponses
{
    public static TaskResponse From(TaskView v, IReadOnlyList<TaskHistoryEntry>? history) => new(
        v.Id.Value, v.Tenant.Value, v.Kind, v.State, v.Lane,
        v.Spec.Command, v.Spec.Requirements, v.Spec.AllowedZones, v.Spec.MaxAttempts,
        [.. v.Attempts.Select(a => new TaskAttemptResponse(a.Attempt, a.Node?.Value, a.PlacedAt, a.StartedAt, a.EndedAt, a.ExitCode, a.Outcome, a.Reason, a.PricePerHour, a.Cost, TaskCheckpointResponse.Of(a.Checkpoint), TaskGangHostResponse.Of(a.Gang), a.EndedBy?.Value))],
        history?.Select(HistoryEntry).ToList(),
        v.Progress, v.Metrics, v.StdoutTail, v.StderrTail, v.Reason, v.SubmittedAt, v.UpdatedAt,
        new TaskPlacementHints(v.Spec.OriginSite, v.Spec.SlaMs, v.Spec.Deadline, v.Spec.MaxPricePerHour, v.Spec.InputSizeMiB, v.Spec.Preemptible, v.Spec.ExpectedDurationSeconds),
        v.Placement, v.Attempts.Sum(a => a.Cost),
        v.Kind == TaskKinds.Training ? v.Spec.Workers : null, v.Spec.Output, v.Model, v.Spec.Bundle?.Sha256);

    // {"seq":3,"type":"placed","at":"…","attempt":1,"node":"edge-1",…}: the event's own fields
    // flattened beside its type and sequence number.
    public static JsonObject HistoryEntry(TaskHistoryEntry entry)
    {
        var obj = new JsonObject { ["seq"] = entry.Seq, ["type"] = entry.Type, ["at"] = entry.At };
        if (entry.Data.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in entry.Data.EnumerateObject())
            {
                if (property.Name is "taskId" or "at") continue;
                obj[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }
        return obj;
    }
}
