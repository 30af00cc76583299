using System.Collections.Immutable;
using System.Text.Json;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Core.Tasks;

// The whole lifecycle of one task as pure functions: Decide* turn a command into the events to
// persist (or none), Apply folds an event into a new state. No actor, clock or I/O in here, so
// every rule is testable on its own and replays identically during recovery.
public sealed record TaskState(
    TaskId Id,
    TenantId Tenant,
    TaskSpec? Spec,
    TenantQuota Quota,
    string? IdempotencyKey,
    string State,
    ImmutableList<TaskAttemptView> Attempts,
    int CurrentAttempt,
    NodeId? Node,
    string? Member,
    double? Progress,
    IReadOnlyDictionary<string, double>? Metrics,
    string StdoutTail,
    string StderrTail,
    string? Reason,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt,
    ImmutableList<TaskHistoryEntry> History,
    PlacementExplanation? Placement = null,
    ImmutableSortedSet<int>? SpendSettled = null,
    string? RequestHash = null,
    TaskModelOutcome? Model = null,
    ImmutableList<GangMember>? Gang = null,
    GangRendezvousPoint? Rendezvous = null)
{
    private static readonly JsonSerializerOptions HistoryJson = ActorGridSerializer.CreateOptions();

    public static TaskState Empty(TaskId id) => new(
        id, default, null, TenantQuota.Default, null, "", [], 0, null, null, null, null, "", "", null,
        default, default, []);

    public bool Exists => Spec is not null;

    public bool IsTerminal => TaskStates.IsTerminal(State);

    // Queued or placed: placement still owes this task a running attempt.
    public bool AwaitsPlacement => State is TaskStates.Queued or TaskStates.Placed;

    public long LastSeq => History.Count == 0 ? 0 : History[^1].Seq;

    private ImmutableSortedSet<int> Settled => SpendSettled ?? [];

    // The earliest ended attempt whose cost the tenant has not acknowledged yet. Spend goes to the
    // tenant one attempt at a time, in order, which is what lets the tenant dedupe with a watermark.
    public TaskAttemptView? OwedSpend => Attempts.FirstOrDefault(a => a.Cost > 0 && !Settled.Contains(a.Attempt));

    // ---- decisions ----

    public IReadOnlyList<ITaskEvent> DecideSubmit(SubmitTask cmd, DateTimeOffset now) =>
        Exists
            ? []
            : [
                new TaskSubmitted(cmd.TaskId, cmd.Tenant, cmd.Spec, cmd.Quota, cmd.IdempotencyKey, cmd.AcceptedAt ?? now, cmd.RequestHash),
                new TaskQueued(cmd.TaskId, 1, "waiting for a node that meets the requirements", now),
            ];

    // A submit for a task that exists. The id derives from tenant and idempotency key, so this is
    // a retried POST: the same request gets the task back, a different one under the same key is
    // a conflict. Tasks submitted before requests were hashed accept any retry, as they always did.
    public IActorGridMessage RepeatedSubmitReply(SubmitTask cmd) =>
        Tenant != cmd.Tenant ? new TaskRejected(Id, RejectionKinds.Conflict, "a task with this id already exists")
        : RequestHash is not null && cmd.RequestHash is not null && RequestHash != cmd.RequestHash ? new TaskIdempotencyConflict(Id, IdempotencyKey)
        : new TaskAccepted(Id, State, Created: false);

    public IReadOnlyList<ITaskEvent> DecideAssign(AssignTask cmd, DateTimeOffset now) =>
        State == TaskStates.Queued && cmd.Attempt == CurrentAttempt
            ? [new TaskPlaced(Id, cmd.Attempt, cmd.Node, cmd.Member, now, cmd.Explanation, cmd.Gang is { Count: > 1 } gang ? gang : null)]
            : [];

    // ---- an attempt split over several hosts (a gang) ----

    // The hosts other than node rank 0, which start once rank 0's rendezvous is known.
    public IEnumerable<GangMember> OtherGangHosts => Gang?.Where(m => m.NodeRank != 0) ?? [];

    // Every cluster member running a share of the current attempt (one, unless split).
    public IEnumerable<string> RunMembers => Gang is { } gang ? gang.Select(m => m.Member) : Member is { } m1 ? [m1] : [];

    // Node rank 0's worker names the rendezvous once per attempt; repeats (its start re-sent) are no-ops.
    public IReadOnlyList<ITaskEvent> DecideRendezvous(ReportGangRendezvous cmd, DateTimeOffset now) =>
        State is TaskStates.Placed or TaskStates.Running && Gang is not null && Rendezvous is null
            && cmd.Attempt == CurrentAttempt && cmd.Node == Node && cmd.Port is > 0 and < 65536
            ? [new TaskGangRendezvous(Id, cmd.Attempt, cmd.Address, cmd.Port, now)]
            : [];

    // What the worker on one gang host is told: its ranks, and rank 0's rendezvous (null for node rank 0 itself).
    public GangRole RoleOf(GangMember member) =>
        new(member.NodeRank, Gang!.Count, member.FirstRank, member.Ranks, Spec!.Workers,
            member.NodeRank == 0 ? null : Rendezvous?.Address, member.NodeRank == 0 ? null : Rendezvous?.Port);

    // A gang member's start report is welcome while its attempt is placed or running (node rank 0 may start after it).
    public bool WantsRun(int attempt, NodeId node) =>
        attempt == CurrentAttempt && (State == TaskStates.Running || (State == TaskStates.Placed && Gang?.Any(m => m.Node == node) == true));

    public IReadOnlyList<ITaskEvent> DecideStarted(ReportTaskStarted cmd, DateTimeOffset now) =>
        State == TaskStates.Placed && cmd.Attempt == CurrentAttempt && cmd.Node == Node
            ? [new TaskStarted(Id, cmd.Attempt, cmd.Node, cmd.Pid, now, cmd.CheckpointNote, cmd.BundleNote)]
            : [];

    public IReadOnlyList<ITaskEvent> DecideProgress(ReportTaskProgress cmd, DateTimeOffset now) =>
        State == TaskStates.Running && cmd.Attempt == CurrentAttempt
            ? [new TaskProgressed(Id, cmd.Attempt, cmd.Progress, cmd.Metrics, now)]
            : [];

    public const int DefaultMaxNodeLosses = 10;

    // maxNodeLosses: actorgrid.tasks.max-node-losses (TaskSettings).
    public IReadOnlyList<ITaskEvent> DecideExited(ReportTaskExited cmd, DateTimeOffset now, int maxNodeLosses = DefaultMaxNodeLosses)
    {
        if (!IsCurrentRun(cmd.Attempt, cmd.Node))
            return cmd.Outcome is AttemptOutcomes.Preempted or AttemptOutcomes.Drained
                ? Recount(cmd.Attempt, cmd.Node, cmd.Outcome, $"ranks on {cmd.Node} were {cmd.Outcome}: {cmd.Reason}", now)
                : LateGangCheckpoint(cmd, now);
        // A gang succeeds with node rank 0 (its output, metrics and checkpoint are the job's);
        // the other hosts' ranks ending well is no news. Any host's failure ends the whole attempt.
        if (Gang is not null && cmd.Node != Node && cmd.Outcome == AttemptOutcomes.Succeeded) return [];
        var ended = new TaskAttemptEnded(Id, cmd.Attempt, cmd.Node, cmd.Outcome, cmd.ExitCode, GangReason(cmd.Node, cmd.Reason), cmd.StdoutTail, cmd.StderrTail, now,
            cmd.Node == Node ? cmd.Checkpoint : null, cmd.Metrics, cmd.Outcome == AttemptOutcomes.Succeeded ? cmd.Output : null);
        if (cmd.Outcome == AttemptOutcomes.Succeeded) return [ended, new TaskSucceeded(Id, now)];
        if (cmd.Outcome is AttemptOutcomes.Preempted or AttemptOutcomes.Drained)
            return [ended, new TaskQueued(Id, CurrentAttempt + 1, $"attempt {CurrentAttempt} was {cmd.Outcome}: {cmd.Reason}", now)];
        return [ended, cmd.Outcome == AttemptOutcomes.NodeLost
            ? AfterNodeLoss(cmd.Reason ?? DescribeExit(cmd), now, maxNodeLosses)
            : AfterFailedAttempt(cmd.Reason ?? DescribeExit(cmd), now)];
    }

    // A multi-host gang's failure that would fail the task for good may be the echo of a peer
    // host's loss or preemption that is not known yet: the survivors' collectives break within a
    // second of a peer's SIGKILL, membership declares the peer lost seconds later. Its verdict
    // waits (TaskEntity, actorgrid.tasks.gang-echo-grace). Earlier attempts need no wait: the
    // peer's news recounts them after the fact (Recount), but a failed task is never reopened.
    public bool MayBeEchoOfPeerLoss(ReportTaskExited cmd) =>
        cmd.Outcome == AttemptOutcomes.Failed && IsCurrentRun(cmd.Attempt, cmd.Node) && Gang is { Count: > 1 }
        && PastFailures + 1 >= Spec!.MaxAttempts;

    public IReadOnlyList<ITaskEvent> DecideNodeLost(ReportNodeLost cmd, DateTimeOffset now, int maxNodeLosses = DefaultMaxNodeLosses)
    {
        var reason = $"node {cmd.Node} was lost: {cmd.Reason}";
        if (!IsCurrentRun(cmd.Attempt, cmd.Node)) return Recount(cmd.Attempt, cmd.Node, AttemptOutcomes.NodeLost, reason, now);
        return [
            new TaskAttemptEnded(Id, cmd.Attempt, cmd.Node, AttemptOutcomes.NodeLost, null, reason, StdoutTail, StderrTail, now),
            AfterNodeLoss(reason, now, maxNodeLosses),
        ];
    }

    public IReadOnlyList<ITaskEvent> DecideRefused(RefusePlacement cmd, DateTimeOffset now) =>
        State == TaskStates.Queued && cmd.Attempt == CurrentAttempt
            ? [new TaskFailed(Id, "no node can run it in time: " + cmd.Reason, now)]
            : [];

    public IReadOnlyList<ITaskEvent> DecideCancel(CancelTask cmd, DateTimeOffset now)
    {
        if (!Exists || IsTerminal) return [];
        var cancelled = new TaskCancelled(Id, cmd.Reason, now);
        return State is TaskStates.Placed or TaskStates.Running
            ? [new TaskAttemptEnded(Id, CurrentAttempt, Node, AttemptOutcomes.Cancelled, null, cmd.Reason, StdoutTail, StderrTail, now), cancelled]
            : [cancelled];
    }

    // A durable copy of an attempt's checkpoint (during the attempt or just after it ended). Kept
    // when it is at least as new as the latest one known, and new: another archive, or another holder.
    public IReadOnlyList<ITaskEvent> DecideCheckpoint(ReportTaskCheckpoint cmd, DateTimeOffset now)
    {
        if (!Exists || IsTerminal || Attempts.All(a => a.Attempt != cmd.Attempt)) return [];
        if (!BlobsLookValid(cmd.Checkpoint)) return [];
        if (LatestCheckpoint is { } latest && (latest.PackedAt > cmd.Checkpoint.PackedAt
            || (latest.Sha256 == cmd.Checkpoint.Sha256 && cmd.Checkpoint.Holders.All(latest.Holders.Contains))))
            return [];
        return [new TaskCheckpointSaved(Id, cmd.Attempt, cmd.Checkpoint, now)];
    }

    // ---- a training task's output model ----

    // The attempt whose output the task registers: the one that succeeded, when it left a model.
    public TaskAttemptView? OutputAttempt =>
        State == TaskStates.Succeeded && Spec?.Output is not null ? Attempts.LastOrDefault(a => a.Outcome == AttemptOutcomes.Succeeded && a.Output is not null) : null;

    // What the task still owes the model registry, re-sent until answered: the registration of
    // its output as a version, then (when asked and promoteIf held) that version's deployment.
    public IActorGridMessage? OwedModelStep
    {
        get
        {
            if (OutputAttempt is not { Output: { } output } attempt) return null;
            var spec = Spec!.Output!;
            if (Model is null)
                return new RegisterModelVersion(Tenant, spec.Model, output.Sha256, output.SizeBytes, output.Signature, output.StoredBy,
                    new ModelLineage(Id, attempt.Attempt, Metrics ?? new Dictionary<string, double>(), LatestCheckpoint?.Sha256, Bundle: Spec!.Bundle?.Sha256));
            if (Model.Deployed is null && spec.Deploy is { } selector)
                return new DeployModel(new ModelRef(Tenant, Model.Model, Model.Version, output.Sha256, output.SizeBytes, output.Signature, output.StoredBy), selector);
            return null;
        }
    }

    // The catalog took the output as a version. Without output.deploy that is the end; with it,
    // promoteIf decides on the metrics the task reported last: deploy next, or say why not.
    public IReadOnlyList<ITaskEvent> DecideModelRegistered(ModelVersionAccepted reply, DateTimeOffset now)
    {
        if (Model is not null || OutputAttempt is not { Output: { } output } attempt) return [];
        var spec = Spec!.Output!;
        if (reply.Model.TenantId != Tenant || reply.Model.Name != spec.Model || reply.Model.Sha256 != output.Sha256) return [];
        var registered = new TaskModelRegistered(Id, attempt.Attempt, spec.Model, reply.Model.Version, output.Sha256, now);
        if (spec.Deploy is null) return [registered];
        return spec.PromoteIf?.WhyNot(Metrics) is { } whyNot
            ? [registered, new TaskModelNotDeployed(Id, spec.Model, reply.Model.Version, $"version {reply.Model.Version} of {spec.Model} is registered but not deployed: promoteIf does not hold ({whyNot})", now)]
            : [registered];
    }

    public IReadOnlyList<ITaskEvent> DecideModelDeployed(ModelDeploymentAccepted reply, DateTimeOffset now) =>
        Model is { Deployed: null } m && Spec?.Output?.Deploy is { } selector
            && reply.Deployment.Model.Tenant == Tenant && reply.Deployment.Model.Name == m.Model && reply.Deployment.Model.Version == m.Version
            ? [new TaskModelDeployed(Id, m.Model, m.Version, selector, now)]
            : [];

    private static bool BlobsLookValid(CheckpointRef c) =>
        c.Sha256 is { Length: 64 } && c.SizeBytes >= 0 && c.Holders.Count > 0;

    // What the next attempt resumes from: the newest checkpoint any attempt left.
    public CheckpointRef? LatestCheckpoint =>
        Attempts.Select(a => a.Checkpoint).OfType<CheckpointRef>().MaxBy(c => c.PackedAt);

    // Every host that may hold one of this task's checkpoints, to be told to forget them.
    public IReadOnlyList<string> CheckpointHolders =>
        [.. Attempts.Select(a => a.Checkpoint).OfType<CheckpointRef>().SelectMany(c => c.Holders).Distinct()];

    public IReadOnlyList<ITaskEvent> DecideSpendAcked(TenantSpendAcked ack, DateTimeOffset now) =>
        ack.TaskId == Id && Attempts.FirstOrDefault(a => a.Attempt == ack.Attempt && a.Cost > 0) is { } attempt && !Settled.Contains(ack.Attempt)
            ? [new TaskSpendSettled(Id, ack.Attempt, attempt.Cost, ack.Refused, now)]
            : [];

    private bool IsCurrentRun(int attempt, NodeId? node) =>
        State is TaskStates.Placed or TaskStates.Running && attempt == CurrentAttempt && (node == Node || Gang?.Any(m => m.Node == node) == true);

    // A gang attempt often ends with another host's failure, before node rank 0 has packed its
    // checkpoint: that checkpoint, arriving with rank 0's late exit report, is still the newest.
    private IReadOnlyList<ITaskEvent> LateGangCheckpoint(ReportTaskExited cmd, DateTimeOffset now) =>
        cmd.Checkpoint is { } checkpoint && Attempts.Any(a => a.Attempt == cmd.Attempt && a.Gang is not null && a.Node == cmd.Node)
            ? DecideCheckpoint(new ReportTaskCheckpoint(Id, cmd.Attempt, checkpoint), now)
            : [];

    // A gang attempt ended as a failure reported by one host, and now another host of it turns out
    // lost, preempted or drained: the failure was that host's echo (the survivors' collectives broke
    // when its ranks vanished, seconds before membership noticed), so the attempt stops counting
    // against maxAttempts and counts as what really ended it. The host whose own ranks failed first
    // (EndedBy) cannot excuse itself, and a task already finished is not reopened.
    private IReadOnlyList<ITaskEvent> Recount(int attempt, NodeId? node, string outcome, string reason, DateTimeOffset now) =>
        !IsTerminal && node is { } host && Attempts.FirstOrDefault(a => a.Attempt == attempt) is { Gang: { Count: > 1 } gang } ended
            && AttemptOutcomes.CountsAsFailure(ended.Outcome) && ended.EndedBy != host && gang.Any(m => m.Node == host)
            ? [new TaskAttemptRecounted(Id, attempt, host, outcome, $"{reason} (which failed the gang: {ended.Reason})", now)]
            : [];

    // In a gang, which host's ranks ended the attempt.
    private string? GangReason(NodeId? node, string? reason) =>
        Gang?.FirstOrDefault(m => m.Node == node) is { } member && reason is not null
            ? $"ranks {member.FirstRank}-{member.FirstRank + member.Ranks - 1} on {member.Node} (node rank {member.NodeRank}): {reason}"
            : reason;

    // maxAttempts bounds the task's own failures; attempts the grid stopped to make room
    // (preempted, drained) and attempts lost with their node are not counted against it.
    private ITaskEvent AfterFailedAttempt(string reason, DateTimeOffset now)
    {
        var failures = PastFailures + 1;
        return failures < Spec!.MaxAttempts
            ? new TaskQueued(Id, CurrentAttempt + 1, $"retrying after attempt {CurrentAttempt}: {reason}", now)
            : new TaskFailed(Id, $"attempt {CurrentAttempt} failed ({failures} of {Spec.MaxAttempts} allowed failures): {reason}", now);
    }

    // A lost node is the host's fault, not the task's, but a task whose hosts keep dying (or that
    // kills them) must not be re-placed forever: node losses have a bound of their own.
    private ITaskEvent AfterNodeLoss(string reason, DateTimeOffset now, int maxNodeLosses)
    {
        var losses = Attempts.Count(a => a.Attempt != CurrentAttempt && a.Outcome == AttemptOutcomes.NodeLost) + 1;
        return losses < maxNodeLosses
            ? new TaskQueued(Id, CurrentAttempt + 1, $"retrying after attempt {CurrentAttempt} ({losses} of {maxNodeLosses} allowed node losses): {reason}", now)
            : new TaskFailed(Id, $"attempt {CurrentAttempt} was lost with its node ({losses} of {maxNodeLosses} allowed node losses, " +
                $"actorgrid.tasks.max-node-losses; {PastFailures} of {Spec!.MaxAttempts} allowed failures): {reason}", now);
    }

    private int PastFailures => Attempts.Count(a => a.Attempt != CurrentAttempt && AttemptOutcomes.CountsAsFailure(a.Outcome));

    private static string DescribeExit(ReportTaskExited cmd) =>
        cmd.ExitCode is { } code ? $"exited with code {code}" : cmd.Outcome;

    // ---- evolution ----

    public TaskState Apply(ITaskEvent evt, long seq)
    {
        // Bookkeeping between task and tenant: clients following the lifecycle never see it.
        if (evt is TaskSpendSettled settled) return this with { SpendSettled = Settled.Add(settled.Attempt) };
        var next = evt switch
        {
            TaskSubmitted e => this with
            {
                Tenant = e.Tenant, Spec = e.Spec, Quota = e.Quota, IdempotencyKey = e.IdempotencyKey, RequestHash = e.RequestHash,
                State = TaskStates.Submitted, SubmittedAt = e.At,
            },
            TaskQueued e => this with { State = TaskStates.Queued, CurrentAttempt = e.Attempt, Node = null, Member = null, Reason = e.Reason, Gang = null, Rendezvous = null },
            TaskPlaced e => this with
            {
                State = TaskStates.Placed, Node = e.Node, Member = e.Member, Reason = null, Placement = e.Explanation ?? Placement,
                Gang = e.Gang is { } gang ? [.. gang] : null, Rendezvous = null,
                Attempts = Attempts.Add(new TaskAttemptView(e.Attempt, e.Node, e.At, null, null, null, null, null, e.Explanation?.PricePerHour ?? 0, Gang: e.Gang)),
            },
            TaskGangRendezvous e => this with { Rendezvous = new GangRendezvousPoint(e.Address, e.Port) },
            TaskStarted e => this with { State = TaskStates.Running, Attempts = UpdateAttempt(e.Attempt, a => a with { StartedAt = e.At }) },
            TaskProgressed e => this with { Progress = e.Progress ?? Progress, Metrics = e.Metrics ?? Metrics },
            TaskAttemptEnded e => this with
            {
                StdoutTail = e.StdoutTail, StderrTail = e.StderrTail,
                Attempts = UpdateAttempt(e.Attempt, a => a with
                {
                    EndedAt = e.At, ExitCode = e.ExitCode, Outcome = e.Outcome, Reason = e.Reason, Cost = CostOf(a, e.At),
                    Checkpoint = Merge(a.Checkpoint, e.Checkpoint), Output = e.Output, EndedBy = e.Node,
                }),
                Metrics = e.Metrics ?? Metrics,
            },
            TaskAttemptRecounted e => this with { Attempts = UpdateAttempt(e.Attempt, a => a with { Outcome = e.Outcome, Reason = e.Reason }) },
            TaskModelRegistered e => this with { Model = new TaskModelOutcome(e.Model, e.Version, e.Sha256, Spec?.Output?.Deploy is null ? false : null, Spec?.Output?.Deploy is null ? "output.deploy was not given" : null) },
            TaskModelDeployed => this with { Model = Model! with { Deployed = true, Reason = null } },
            TaskModelNotDeployed e => this with { Model = Model! with { Deployed = false, Reason = e.Reason } },
            TaskCheckpointSaved e => this with { Attempts = UpdateAttempt(e.Attempt, a => a with { Checkpoint = Merge(a.Checkpoint, e.Checkpoint) }) },
            TaskSucceeded => this with { State = TaskStates.Succeeded, Progress = 1.0, Reason = null },
            TaskFailed e => this with { State = TaskStates.Failed, Reason = e.Reason },
            TaskCancelled e => this with { State = TaskStates.Cancelled, Reason = e.Reason },
            _ => this,
        };
        return next with
        {
            UpdatedAt = evt.At,
            History = next.History.Add(new TaskHistoryEntry(seq, TypeName(evt), evt.At, JsonSerializer.SerializeToElement(evt, evt.GetType(), HistoryJson))),
        };
    }

    // "TaskPlaced" → "placed": the event type clients see on the history and the SSE stream.
    public static string TypeName(ITaskEvent evt) =>
        ProtocolManifests.ByType[evt.GetType()]["task.".Length..];

    // Billed from start to end at the price the winning bid named; an attempt that never started costs nothing.
    private static decimal CostOf(TaskAttemptView attempt, DateTimeOffset endedAt) =>
        attempt.StartedAt is { } started && endedAt > started
            ? Math.Round(attempt.PricePerHour * (decimal)(endedAt - started).TotalHours, 6)
            : 0;

    public decimal TotalCost => Attempts.Sum(a => a.Cost);

    // The same archive from another holder adds that holder; a newer archive replaces the older.
    private static CheckpointRef? Merge(CheckpointRef? known, CheckpointRef? arrived) =>
        (known, arrived) switch
        {
            (_, null) => known,
            (null, _) => arrived,
            _ when known.Sha256 == arrived.Sha256 => arrived.Holders.Aggregate(known, (c, h) => c.WithHolder(h)),
            _ => arrived.PackedAt >= known.PackedAt ? arrived : known,
        };

    private ImmutableList<TaskAttemptView> UpdateAttempt(int attempt, Func<TaskAttemptView, TaskAttemptView> update)
    {
        var index = Attempts.FindLastIndex(a => a.Attempt == attempt);
        return index < 0 ? Attempts : Attempts.SetItem(index, update(Attempts[index]));
    }

    // ---- views and snapshots ----

    public TaskView ToView() => new(
        Id, Tenant, Spec?.Kind ?? "", State, Spec?.Lane ?? "", Spec!, Attempts, Progress, Metrics,
        StdoutTail, StderrTail, Reason, SubmittedAt, UpdatedAt, LastSeq, Placement, Model);

    public TaskSnapshot ToSnapshot() => new(
        Id, Tenant, Spec!, Quota, IdempotencyKey, State, Attempts, CurrentAttempt, Node, Member, Progress, Metrics,
        StdoutTail, StderrTail, Reason, SubmittedAt, UpdatedAt, History, Placement, [.. Settled], RequestHash, Model, Gang, Rendezvous);

    public static TaskState FromSnapshot(TaskSnapshot s) => new(
        s.Id, s.Tenant, s.Spec, s.Quota, s.IdempotencyKey, s.State, [.. s.Attempts], s.CurrentAttempt,
        s.Node, s.Member, s.Progress, s.Metrics, s.StdoutTail, s.StderrTail, s.Reason, s.SubmittedAt, s.UpdatedAt, [.. s.History], s.Placement,
        [.. s.SpendSettled ?? []], s.RequestHash, s.Model, s.Gang is { } gang ? [.. gang] : null, s.Rendezvous);
}
