using System.Diagnostics;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Observability;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Transfer.Blobs;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Bundles;
using ActorGrid.Worker.Checkpoints;
using ActorGrid.Worker.Metrics;
using ActorGrid.Worker.Sandbox;
using ActorGrid.Worker.Training;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Hosting;

namespace ActorGrid.Worker;

// The worker agent of one host (at /user/worker on every worker-role host). It announces its node
// to node/<id> with each heartbeat, runs the attempts task entities start on it as real processes,
// and reports start, progress and exit back to task/<id>. Exit reports are re-sent until the task
// acknowledges them, so a report is never lost to a passing network fault or a shard handover.
// Every attempt runs in the host's sandbox (SandboxHost) behind a LeaseGuard; placement's answers
// to the heartbeats renew the lease that keeps the guards from stopping the attempts. Before an
// attempt starts, its bundle is fetched (BundleCache) and its checkpoint restored (CheckpointKeeper).
// Chips are owned: an attempt that needs them holds specific indices (WorkerLedger/ChipAllocator)
// and sees only those (CUDA_VISIBLE_DEVICES and friends). A training attempt that succeeds leaves
// its output model in its output directory; the agent stages it here (TrainingOutputs), has a
// gateway pull it from /user/worker/model-blobs, and reports it with the exit so the task
// registers it as a model version. Every metric line an attempt prints goes, batched
// (AttemptMetrics), to the gateways' metric stores over Topics.TaskMetrics; the task itself hears
// only the latest progress, at most once per progress-interval, so its journal stays calm.
// A preempted or drained attempt is stopped gracefully: SIGTERM, its grace to checkpoint, then
// SIGKILL; the award that preempted it launches once it has exited.
// A gang split over hosts runs a share of its ranks here (StartTaskRun.Gang): on node rank 0 the
// agent picks rank 0's port and reports it (ReportGangRendezvous); elsewhere it is told it. Only
// node rank 0 keeps the job's checkpoint, metrics and output.
public sealed partial class WorkerAgent : ReceiveActor, IWithTimers
{
    private const string HeartbeatTimer = "heartbeat";
    private const string ResendTimer = "resend";
    private const string MetricsTimer = "metrics";
    private readonly NodeDescriptor _descriptor;
    private readonly WorkerSettings _settings;
    private readonly RendezvousPorts _rendezvousPorts;
    private readonly MetricBatchSettings _metricSettings;
    private readonly Dictionary<TaskId, Run> _runs = new();
    // An award that evicted attempts still in their grace: its launch waits until they have exited.
    private readonly Dictionary<TaskId, IReadOnlyList<(TaskId Task, int Attempt)>> _awaitingRoom = new();
    private readonly WorkerLedger _ledger;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _member;
    // The address other hosts reach this one at (its cluster address): a gang's MASTER_ADDR.
    private readonly string _masterAddress;
    private readonly SandboxHost _sandbox;
    private readonly UidPool _uids;
    private readonly AttemptLease _lease;
    private readonly IActorRef _checkpoints;
    private readonly IActorRef _bundles;
    private readonly BundleSettings _bundleSettings;
    private readonly TrainingOutputs? _outputs;
    private readonly string? _modelBlobHolder;
    private bool _leaseLapsed;

    // How long a gateway may take to pull a training output before the attempt is given up.
    private static readonly TimeSpan ShipTimeout = TimeSpan.FromSeconds(60);

    // inferenceDevice: the chip this host's CUDA inference holds (WorkerSetup); null when it holds none.
    public WorkerAgent(NodeDescriptor descriptor, SandboxHost sandbox, IsolationSettings isolation, string dataDirectory, TrainingOutputs? outputs = null,
        int? inferenceDevice = null)
    {
        _outputs = outputs;
        _descriptor = descriptor;
        _sandbox = sandbox;
        _uids = new UidPool(isolation.UidRangeStart, isolation.UidRangeSize, sandbox.Level == SandboxHost.On ? SandboxHost.UidLockDirectory : null);
        _ledger = new WorkerLedger(descriptor, inferenceDevice);
        _settings = WorkerSettings.From(Context.System);
        _rendezvousPorts = RendezvousPorts.Parse(Context.System.Settings.Config.GetString("actorgrid.worker.rendezvous-ports", "29500-29999"));
        _metricSettings = MetricBatchSettings.From(Context.System.Settings.Config);
        _lease = new AttemptLease(_settings.LeaseTimeout);
        _member = Cluster.Get(Context.System).SelfAddress.ToString();
        _masterAddress = Cluster.Get(Context.System).SelfAddress.Host ?? "127.0.0.1";
        var checkpointRoot = sandbox.CheckpointRoot;
        var store = new CheckpointStore(Path.Combine(dataDirectory, "checkpoint-blobs"));
        var checkpointSettings = CheckpointSettings.From(Context.System);
        var server = Context.ActorOf(CheckpointServer.Props(store, checkpointSettings, checkpointRoot), CheckpointServer.Name);
        _checkpoints = Context.ActorOf(
            CheckpointKeeper.Props(store, checkpointSettings, _member + server.Path.ToStringWithoutAddress()), CheckpointKeeper.Name);
        _bundleSettings = BundleSettings.From(Context.System.Settings.Config);
        _bundles = Context.ActorOf(BundleCache.Props(new BlobStore(sandbox.BundleCacheRoot, ".tar"), _bundleSettings), BundleCache.Name);
        if (outputs is not null)
        {
            var blobs = Context.ActorOf(ModelBlobServer.Props(outputs.Store), ModelBlobServer.Name);
            _modelBlobHolder = _member + blobs.Path.ToStringWithoutAddress();
        }

        Receive<HeartbeatTick>(_ =>
        {
            Heartbeat();
            CheckLease();
        });
        Receive<LeaseRenewed>(renewed =>
        {
            _lease.RenewedBy(renewed.HeartbeatAt);
            if (_leaseLapsed && _lease.IsHeld(DateTimeOffset.UtcNow))
            {
                _leaseLapsed = false;
                _log.Info("Placement answers again: the lease on this worker's attempts is renewed");
            }
        });
        Receive<ResendTick>(_ => ResendExitReports());
        Receive<MetricsTick>(_ => FlushMetrics());
        Receive<StartTaskRun>(Start);
        Receive<CallForBids>(OnCallForBids);
        Receive<AwardTask>(OnAward);
        Receive<ConfirmTaskRun>(Confirm);
        Receive<CancelTaskRun>(cmd =>
        {
            if (_runs.TryGetValue(cmd.TaskId, out var run) && run.Attempt == cmd.Attempt && run.Exit is null)
                Stop(run, cmd.Outcome, cmd.Reason);
            else if (!_runs.ContainsKey(cmd.TaskId) && _ledger.Withdraw(cmd.TaskId, cmd.Attempt))
            {
                _log.Info("Award of {0} attempt {1} withdrawn: {2}", cmd.TaskId, cmd.Attempt, cmd.Reason);
                Heartbeat();
            }
        });
        Receive<TaskRunReportAcked>(ack =>
        {
            if (_runs.TryGetValue(ack.TaskId, out var run) && run.Attempt == ack.Attempt && run.Exit is not null)
            {
                run.Cancel.Dispose();
                run.Terminate.Dispose();
                _runs.Remove(ack.TaskId);
            }
        });
        Receive<RunStarted>(OnStarted);
        Receive<RunProgressed>(OnProgressed);
        Receive<RunEnded>(OnEnded);
        Receive<CheckpointKeeper.Restored>(OnRestored);
        Receive<CheckpointKeeper.Packed>(OnPacked);
        Receive<BundleCache.Ready>(OnBundleReady);
        Receive<BundleCache.Failed>(OnBundleFailed);
        Receive<ModelBlobCopied>(OnOutputCopied);
        Receive<ModelBlobCopyFailed>(failed => OnOutputNotCopied(failed.Sha256, $"the gateway could not take its output model: {failed.Reason}"));
        Receive<ShipTimedOut>(t => OnOutputNotCopied(t.Sha256, $"no gateway took its output model within {ShipTimeout.TotalSeconds:0} s"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeDescriptor descriptor, SandboxHost sandbox, IsolationSettings isolation, string dataDirectory, TrainingOutputs? outputs = null,
        int? inferenceDevice = null) =>
        Akka.Actor.Props.Create(() => new WorkerAgent(descriptor, sandbox, isolation, dataDirectory, outputs, inferenceDevice));

    private IActorRef TaskRegion => ActorRegistry.For(Context.System).Get<TaskRegionKey>();

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(HeartbeatTimer, HeartbeatTick.Instance, TimeSpan.Zero, _settings.HeartbeatInterval);
        Timers.StartPeriodicTimer(ResendTimer, ResendTick.Instance, _settings.ReportResendInterval);
        Timers.StartPeriodicTimer(MetricsTimer, MetricsTick.Instance, _metricSettings.BatchInterval);
    }

    // The host is going away: kill what runs here so no orphan keeps burning the machine.
    protected override void PostStop()
    {
        foreach (var run in _runs.Values.Where(r => r.Exit is null)) run.Cancel.Cancel();
    }

    // Telemetry counts promised attempts as running: their room is taken either way.
    private void Heartbeat()
    {
        foreach (var expired in _ledger.ExpirePromises(DateTimeOffset.UtcNow, _settings.PromiseTimeout))
        {
            _awaitingRoom.Remove(expired);
            _log.Warning("Promise for {0} expired: it was awarded here but never started", expired);
        }
        var (cpu, memory, _) = _ledger.Free();
        var telemetry = new NodeTelemetry(
            DateTimeOffset.UtcNow, cpu, memory,
            [.. _ledger.Claims.Select(c => new RunningTaskInfo(c.TaskId, c.Attempt, c.Requirements, c.Chips?.Indices))], _sandbox.Level,
            _ledger.Chips.Held is { Count: > 0 } held ? held : null);
        ActorRegistry.For(Context.System).Get<NodeRegionKey>()
            .Tell(new ReportNodeStatus(_descriptor.Id, _descriptor, _member, Self, telemetry));
    }

    // Placement has not answered for the lease's length: it may already count this node as lost
    // and place its attempts elsewhere, so they stop here (their guards would stop them anyway).
    private void CheckLease()
    {
        if (_leaseLapsed || _lease.IsHeld(DateTimeOffset.UtcNow)) return;
        // A preempted attempt in its grace is killed now too: fencing does not wait for a checkpoint.
        foreach (var graced in _runs.Values.Where(r => r.Ended is null && r.Terminate.IsCancellationRequested)) graced.Cancel.Cancel();
        var live = _runs.Values.Where(r => r.Exit is null && r.StopOutcome is null).ToList();
        if (live.Count == 0) return;
        _leaseLapsed = true;
        _log.Warning("No answer from placement since {0:O}: the lease lapsed, stopping {1} attempt(s) before they may run elsewhere", _lease.HeldUntil - _lease.Timeout, live.Count);
        foreach (var run in live)
            Stop(run, AttemptOutcomes.NodeLost, $"stopped on {_descriptor.Id}: its lease lapsed (placement did not answer for {_lease.Timeout.TotalSeconds:0.#}s)");
    }

    private void Start(StartTaskRun cmd)
    {
        if (_runs.TryGetValue(cmd.TaskId, out var existing))
        {
            if (existing.Attempt == cmd.Attempt)
            {
                ReportStatus(existing); // a repeated start: tell the task where the run stands
                ReportRendezvous(existing);
                return;
            }
            existing.Cancel.Cancel(); // an older attempt the task has given up on
            _runs.Remove(cmd.TaskId);
        }
        if (!_ledger.Promised(cmd.TaskId, cmd.Attempt))
        {
            // Nothing to run and nothing to clean up: the task hears the attempt was lost with the
            // incarnation it was awarded to, and asks again (its nudge repeats the start) if this is lost.
            var why = $"not started on {_descriptor.Id}: this worker never accepted attempt {cmd.Attempt} (its host restarted after the award)";
            _log.Warning("{0} attempt {1}: {2}", cmd.TaskId, cmd.Attempt, why);
            TaskRegion.Tell(new ReportTaskExited(cmd.TaskId, cmd.Attempt, _descriptor.Id, AttemptOutcomes.NodeLost, null, why, "", ""));
            return;
        }
        if (_ledger.OutsideZones(cmd.TaskId, cmd.Spec.AllowedZones) is { } outside)
        {
            _ledger.Release(cmd.TaskId);
            _log.Error("{0} attempt {1} refused: {2}", cmd.TaskId, cmd.Attempt, outside);
            TaskRegion.Tell(new ReportTaskExited(cmd.TaskId, cmd.Attempt, _descriptor.Id, AttemptOutcomes.Failed, null, outside, "", ""));
            return;
        }
        var run = new Run(cmd.TaskId, cmd.Attempt, cmd.Spec, new CancellationTokenSource(), new CancellationTokenSource())
        {
            Checkpoint = cmd.Checkpoint,
            Gang = cmd.Gang,
            Metrics = new AttemptMetrics(cmd.TaskId, cmd.Attempt, _metricSettings),
            // From the start to the launch: chips, bundle, checkpoint, sandbox.
            StartSpan = GridTracing.Start("attempt.start", cmd.TraceParent, ActivityKind.Consumer)?
                .SetTag("actorgrid.task", cmd.TaskId.Value).SetTag("actorgrid.attempt", cmd.Attempt).SetTag("actorgrid.node", _descriptor.Id.Value),
        };
        _runs[cmd.TaskId] = run;
        var requirements = cmd.Gang is { } share ? TrainingGang.Requirements(cmd.Spec, share.Ranks) : TrainingGang.Requirements(cmd.Spec);
        if (_ledger.Start(cmd.TaskId, cmd.Attempt, requirements, cmd.Spec.Lane, cmd.Spec.Preemptible, DateTimeOffset.UtcNow) is { } noChips)
        {
            // Never two attempts on one chip: without its own chips the attempt does not run here.
            run.Launched = true;
            Self.Tell(new RunEnded(cmd.TaskId, cmd.Attempt, new ProcessOutcome(AttemptOutcomes.Failed, null,
                $"its chips are not free on {_descriptor.Id} ({noChips})", "", "", null), null));
            return;
        }
        Heartbeat();
        if (cmd.Gang is { NodeRank: 0 })
        {
            // Node rank 0 of a gang: rank 0 will listen on a port free here, and the task starts the
            // other hosts once it knows where. Reported now, before the bundle and checkpoint, so
            // the other hosts prepare theirs meanwhile.
            run.MasterPort = FreePort();
            ReportRendezvous(run);
        }
        if (cmd.Spec.Bundle is { } bundle)
        {
            // The bundle first: without it the attempt cannot run, so nothing else is worth doing.
            _bundles.Tell(new BundleCache.Fetch(cmd.TaskId, cmd.Attempt, bundle));
            return;
        }
        RestoreOrLaunch(run, cmd);
    }

    private void OnBundleReady(BundleCache.Ready ready)
    {
        if (!IsCurrent(ready.TaskId, ready.Attempt, out var run) || run.Launched || run.Exit is not null) return;
        if (run.StopOutcome is not null)
        {
            run.Launched = true; // stopped while its bundle was on the way: it never starts
            Self.Tell(new RunEnded(run.TaskId, run.Attempt, new ProcessOutcome(AttemptOutcomes.Cancelled, null, run.StopReason ?? "stopped", "", "", null), null));
            return;
        }
        run.BundleArchive = ready.Archive;
        run.BundleNote = ready.Note;
        RestoreOrLaunch(run, new StartTaskRun(run.TaskId, run.Attempt, run.Spec, run.Checkpoint));
    }

    // The attempt fails without starting; its retries (if any) may find the bundle again.
    private void OnBundleFailed(BundleCache.Failed failed)
    {
        if (!IsCurrent(failed.TaskId, failed.Attempt, out var run) || run.Launched || run.Exit is not null) return;
        run.Launched = true;
        _log.Warning("{0} attempt {1} does not start: {2}", failed.TaskId, failed.Attempt, failed.Reason);
        Self.Tell(new RunEnded(failed.TaskId, failed.Attempt, new ProcessOutcome(AttemptOutcomes.Failed, null, failed.Reason, "", "", null), null));
    }

    private void RestoreOrLaunch(Run run, StartTaskRun cmd)
    {
        if (cmd.Checkpoint is { } checkpoint)
        {
            // The process starts once its checkpoint is in place (or could not be, and it starts fresh).
            _log.Info("Restoring checkpoint {0} of {1} before attempt {2}", checkpoint.Sha256, cmd.TaskId, cmd.Attempt);
            _checkpoints.Tell(new CheckpointKeeper.Restore(cmd.TaskId, cmd.Attempt, checkpoint, CheckpointDirectory(cmd.TaskId)));
            return;
        }
        Launch(run, cmd);
    }

    private void OnRestored(CheckpointKeeper.Restored restored)
    {
        if (!IsCurrent(restored.TaskId, restored.Attempt, out var run) || run.Launched) return;
        if (restored.Failed) _log.Warning("{0} attempt {1}: {2}", restored.TaskId, restored.Attempt, restored.Note);
        run.CheckpointNote = restored.Note;
        Launch(run, new StartTaskRun(run.TaskId, run.Attempt, run.Spec));
    }

    private void Launch(Run run, StartTaskRun cmd)
    {
        if (run.StopOutcome is null && StillInGrace(run.TaskId) is { Count: > 0 } victims)
        {
            // The room is promised to this attempt, but the attempts it evicted are still
            // checkpointing in it: two processes on one chip (or one core) must not overlap.
            run.PendingLaunch = cmd;
            _log.Info("{0} attempt {1} starts once {2} ha(s/ve) exited (preempted, in their grace)", cmd.TaskId, cmd.Attempt,
                string.Join(", ", victims.Select(v => v.Task)));
            return;
        }
        _awaitingRoom.Remove(run.TaskId);
        run.PendingLaunch = null;
        run.Launched = true;
        var self = Self;
        if (_sandbox.Refuses)
        {
            // Bids are declined here, so only a stale or forged start gets this far: it never runs.
            self.Tell(new RunEnded(cmd.TaskId, cmd.Attempt, new ProcessOutcome(AttemptOutcomes.Failed, null, SandboxRefusal, "", "", null), null));
            return;
        }
        if (_sandbox.Level == SandboxHost.On)
        {
            run.Uid = _uids.Take();
            if (run.Uid is null)
            {
                self.Tell(new RunEnded(cmd.TaskId, cmd.Attempt, new ProcessOutcome(AttemptOutcomes.Failed, null,
                    $"no sandbox uid is free on {_descriptor.Id} ({_uids.InUse} attempts hold one each)", "", "", null), null));
                return;
            }
        }
        _log.Info("Starting {0} attempt {1} (sandbox {2}{3}): {4}", cmd.TaskId, cmd.Attempt, _sandbox.Level,
            run.Uid is { } uid ? ", uid " + uid : "", string.Join(' ', cmd.Spec.Command));
        var env = EnvironmentFor(cmd, run);
        // Only node rank 0's output (rank 0's) is the job's; the other hosts' ranks write none that counts.
        var output = cmd.Spec.Kind == TaskKinds.Training && run.IsGangLeader ? cmd.Spec.Output : null;
        var launched = cmd.Spec.Kind == TaskKinds.Training && cmd.Spec.Workers > 1
            ? cmd with { Spec = cmd.Spec with { Command = [.. RankLauncher, .. cmd.Spec.Command] } }
            : cmd;
        run.ProcessSpan = GridTracing.StartChild("process.run", run.StartSpan);
        run.StartSpan?.Stop();
        RunSandboxedAsync(run, launched, env, output, self)
            .PipeTo(self, success: ended => new RunEnded(cmd.TaskId, cmd.Attempt, ended.Outcome, ended.Output),
                failure: ex => new RunEnded(cmd.TaskId, cmd.Attempt, new ProcessOutcome(
                    AttemptOutcomes.Failed, null, "the worker could not run the process: " + ex.Message, "", "", null), null));
        // Rank 0's checkpoint directory is the job's: another gang host's copies would compete with it.
        if (run.IsGangLeader) _checkpoints.Tell(new CheckpointKeeper.Watch(cmd.TaskId, cmd.Attempt, CheckpointDirectory(cmd.TaskId)));
    }

    private void ReportRendezvous(Run run)
    {
        if (run.MasterPort is { } port)
            TaskRegion.Tell(new ReportGangRendezvous(run.TaskId, run.Attempt, _descriptor.Id, _masterAddress, port));
    }

    // Prepares the sandbox (directories, ownership, cgroup), runs the attempt in it, then reads what
    // its limits did and removes what it left. All off the actor's thread; only the captured values are used.
    // A succeeded training attempt's output is staged before the sandbox goes; an output that
    // cannot become a model version fails the attempt with the reason.
    private async Task<(ProcessOutcome Outcome, TrainingOutputs.Staged? Output)> RunSandboxedAsync(
        Run run, StartTaskRun cmd, Dictionary<string, string> env, TrainingOutput? wanted, IActorRef self)
    {
        var cancel = run.Cancel.Token; // read on the actor's thread, before the first await
        var terminate = run.Terminate.Token;
        var grace = GraceFor(cmd.Spec);
        var (sandbox, outputs) = (_sandbox, _outputs);
        var bundle = run.BundleArchive;
        var ranksAllHere = cmd.Spec.Kind == TaskKinds.Training && run.Gang is null;
        PreparedAttempt prepared;
        try
        {
            prepared = await sandbox.PrepareAsync(cmd.TaskId, cmd.Attempt, run.Uid, cmd.Spec, env, _lease, _settings.GuardSilence,
                bundle, _bundleSettings.MaxUnpackedBytes, ranksAllHere).ConfigureAwait(false);
        }
        catch (BundleArchive.RefusedException ex)
        {
            return (new ProcessOutcome(AttemptOutcomes.Failed, null, $"bundle {cmd.Spec.Bundle?.Sha256} was refused and nothing of it was left in the working directory: {ex.Message}", "", "", null), null);
        }
        ProcessOutcome? outcome = null;
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            using var memory = prepared.WatchMemory(stop);
            outcome = await ProcessExecution.RunAsync(
                prepared.Launch with { StopGrace = grace },
                pid => self.Tell(new RunStarted(cmd.TaskId, cmd.Attempt, pid)),
                progress => self.Tell(new RunProgressed(cmd.TaskId, cmd.Attempt, progress)),
                stop.Token, terminate).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened, nothing of the attempt may be left running or lying around.
            if (outcome is null) prepared.Conclude(new ProcessOutcome(AttemptOutcomes.Failed, null, "abandoned", "", "", null));
        }
        TrainingOutputs.Staged? staged = null;
        if (wanted is not null && outcome.Outcome == AttemptOutcomes.Succeeded)
        {
            var (output, problem) = outputs is null
                ? (null, $"{_descriptor.Id} cannot keep training outputs (no model blob store)")
                : await outputs.StageAsync(prepared.OutputDirectory!, wanted.File, sandbox.OutputPathSeen(cmd.TaskId, cmd.Attempt)).ConfigureAwait(false);
            staged = output;
            if (problem is not null) outcome = outcome with { Outcome = AttemptOutcomes.Failed, Reason = problem };
        }
        return (prepared.Conclude(outcome), staged);
    }

    private void Confirm(ConfirmTaskRun cmd)
    {
        if (_runs.TryGetValue(cmd.TaskId, out var run) && run.Attempt == cmd.Attempt)
        {
            ReportStatus(run);
            return;
        }
        Sender.Tell(new ReportTaskExited(cmd.TaskId, cmd.Attempt, _descriptor.Id, AttemptOutcomes.NodeLost, null,
            $"the worker on {_descriptor.Id} has no record of attempt {cmd.Attempt} (its host restarted)", "", ""));
    }

    private void ReportStatus(Run run)
    {
        if (run.Exit is not null) TaskRegion.Tell(run.Exit);
        else if (run.Pid is not null) TaskRegion.Tell(new ReportTaskStarted(run.TaskId, run.Attempt, _descriptor.Id, run.Pid, run.CheckpointNote, run.BundleNote));
    }

    private void OnStarted(RunStarted msg)
    {
        if (!IsCurrent(msg.TaskId, msg.Attempt, out var run)) return;
        run.Pid = msg.Pid;
        TaskRegion.Tell(new ReportTaskStarted(msg.TaskId, msg.Attempt, _descriptor.Id, msg.Pid, run.CheckpointNote, run.BundleNote));
    }

    // Progress is a stream of samples. Every metric line goes to the gateways' stores (batched,
    // FlushMetrics); the task hears the first sample at once and then the latest one at most once
    // per progress-interval, so its journal holds a few events however fast the process prints.
    private void OnProgressed(RunProgressed msg)
    {
        if (!IsCurrent(msg.TaskId, msg.Attempt, out var run) || run.Exit is not null) return;
        var now = DateTimeOffset.UtcNow;
        if (msg.Progress.Metrics is { } metrics)
        {
            run.LastMetrics = metrics;
            if (run.Metrics.Add(metrics, now)) PublishMetrics(run);
        }
        // A line without metrics (or without progress) does not hide what a held-back one said.
        var held = run.PendingProgress;
        run.PendingProgress = new ReportTaskProgress(msg.TaskId, msg.Attempt,
            msg.Progress.Progress ?? held?.Progress, msg.Progress.Metrics ?? held?.Metrics);
        SendProgressIfDue(run, now);
    }

    private void SendProgressIfDue(Run run, DateTimeOffset now)
    {
        if (run.PendingProgress is not { } pending || now - run.LastProgressSent < _settings.ProgressInterval) return;
        run.LastProgressSent = now;
        run.PendingProgress = null;
        TaskRegion.Tell(pending);
    }

    // Each batch interval: the lines every running attempt printed since the last batch, and the
    // latest progress of those whose progress-interval has passed since the last one sent.
    private void FlushMetrics()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var run in _runs.Values)
        {
            if (run.Exit is not null || run.Ended is not null) continue;
            PublishMetrics(run);
            SendProgressIfDue(run, now);
        }
    }

    private void PublishMetrics(Run run)
    {
        if (run.Metrics.TakeBatch() is { } batch)
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topics.TaskMetrics, batch));
    }

    private void OnEnded(RunEnded msg)
    {
        if (!IsCurrent(msg.TaskId, msg.Attempt, out var run)) return;
        // Every line arrived before the end (the pipes are drained first): the last ones go now.
        // A pending progress does not: the exit report carries the last metrics.
        PublishMetrics(run);
        run.PendingProgress = null;
        var o = msg.Outcome;
        if (run.Uid is { } uid) _uids.Release(uid);
        run.Uid = null;
        // A run we stopped on the grid's behalf reports why it was stopped, not just "cancelled";
        // one its guard stopped (this worker paused or cut off) was lost with its node.
        var (outcome, reason) = o.Outcome == AttemptOutcomes.Cancelled && run.StopOutcome is { } stop
                ? (stop, run.Terminate.IsCancellationRequested && o.Reason is { } how ? $"{run.StopReason}; {how}" : run.StopReason)
            : o.Outcome != AttemptOutcomes.Succeeded && o.StderrTail.Contains(LeaseGuard.StoppedMessage, StringComparison.Ordinal)
                ? (AttemptOutcomes.NodeLost, $"stopped by its guard on {_descriptor.Id}: the worker did not renew its lease for {_settings.GuardSilence.TotalSeconds:0.#}s (paused, or cut off from placement)")
                : (o.Outcome, o.Reason);
        _log.Info("{0} attempt {1} ended: {2} (exit code {3})", msg.TaskId, msg.Attempt, outcome, o.ExitCode);
        EndSpans(run, outcome, o.ExitCode);
        _ledger.Release(msg.TaskId);
        Heartbeat();
        _checkpoints.Tell(new CheckpointKeeper.Unwatch(msg.TaskId));
        run.Ended = new ReportTaskExited(msg.TaskId, msg.Attempt, _descriptor.Id, outcome, o.ExitCode, reason, o.StdoutTail, o.StderrTail,
            Metrics: run.LastMetrics);
        LaunchWhatWaitedFor(msg.TaskId, msg.Attempt); // its process is gone: the room it held is free
        run.Staged = outcome == AttemptOutcomes.Succeeded ? msg.Output : null;
        // A task that succeeded or was cancelled will not run again: its checkpoints go. Anything
        // else (failed with retries left, preempted, drained) is packed for the next attempt, which
        // may run on another host; the exit report names the archive once it exists. A training
        // task's final checkpoint is packed too: its model's lineage names it.
        if (!run.IsGangLeader)
            ReportExit(run, run.Ended); // the job's checkpoint is rank 0's, packed on node rank 0's host
        else if (run.Staged is not null)
            _checkpoints.Tell(new CheckpointKeeper.Pack(msg.TaskId, msg.Attempt, CheckpointDirectory(msg.TaskId)));
        else if (outcome is AttemptOutcomes.Succeeded or AttemptOutcomes.Cancelled)
        {
            _checkpoints.Tell(new CheckpointKeeper.Forget(msg.TaskId, CheckpointDirectory(msg.TaskId)));
            ReportExit(run, run.Ended);
        }
        else
            _checkpoints.Tell(new CheckpointKeeper.Pack(msg.TaskId, msg.Attempt, CheckpointDirectory(msg.TaskId)));
    }

    // An attempt that never launched ends its start span here; one that ran, its process span.
    private static void EndSpans(Run run, string outcome, int? exitCode)
    {
        foreach (var span in new[] { run.StartSpan, run.ProcessSpan })
        {
            if (span is null || span.IsStopped) continue;
            span.SetTag("actorgrid.outcome", outcome).SetTag("process.exit.code", exitCode);
            if (outcome != AttemptOutcomes.Succeeded) span.SetStatus(ActivityStatusCode.Error, outcome);
            span.Stop();
        }
    }

    private void ReportExit(Run run, ReportTaskExited exit)
    {
        run.Exit = exit;
        TaskRegion.Tell(exit);
    }

    private void ResendExitReports()
    {
        foreach (var run in _runs.Values.Where(r => r.Exit is not null)) TaskRegion.Tell(run.Exit!);
    }

    private bool IsCurrent(TaskId task, int attempt, out Run run) =>
        _runs.TryGetValue(task, out run!) && run.Attempt == attempt;

    private sealed class Run(TaskId taskId, int attempt, TaskSpec spec, CancellationTokenSource cancel, CancellationTokenSource terminate)
    {
        public TaskId TaskId { get; } = taskId;
        public int Attempt { get; } = attempt;
        public TaskSpec Spec { get; } = spec;

        // Kill at once / SIGTERM first and kill after the grace.
        public CancellationTokenSource Cancel { get; } = cancel;
        public CancellationTokenSource Terminate { get; } = terminate;

        // Ready to launch, waiting for the attempts its award evicted to exit.
        public StartTaskRun? PendingLaunch { get; set; }
        public int? Pid { get; set; }
        public DateTimeOffset LastProgressSent { get; set; }

        // The latest progress not yet sent to the task (progress-interval had not passed).
        public ReportTaskProgress? PendingProgress { get; set; }

        public AttemptMetrics Metrics { get; init; } = null!;
        public ReportTaskExited? Exit { get; set; }
        public string? StopOutcome { get; set; }
        public string? StopReason { get; set; }
        public bool Launched { get; set; }
        public string? CheckpointNote { get; set; }

        public CheckpointRef? Checkpoint { get; init; }

        // This host's share of a gang split over several hosts; null when the attempt runs whole here.
        public GangRole? Gang { get; init; }

        // Whether this host runs rank 0, whose checkpoint, metrics and output are the job's.
        public bool IsGangLeader => Gang is null or { NodeRank: 0 };

        // Node rank 0: the port rank 0 listens on, reported to the task as the rendezvous.
        public int? MasterPort { get; set; }

        // The verified archive in this host's bundle cache, and where it came from.
        public string? BundleArchive { get; set; }

        public string? BundleNote { get; set; }
        // The metrics the process printed last (progress forwarded to the task is sampled).
        public IReadOnlyDictionary<string, double>? LastMetrics { get; set; }

        // A succeeded training attempt's output, staged in this host's model blob store until a gateway has it.
        public TrainingOutputs.Staged? Staged { get; set; }

        // The host uid the attempt runs as while it runs (sandbox level "on").
        public int? Uid { get; set; }

        // The process is over but its exit is not reported yet: its checkpoint is being packed.
        public ReportTaskExited? Ended { get; set; }

        public Activity? StartSpan { get; init; }
        public Activity? ProcessSpan { get; set; }
    }

    private sealed record HeartbeatTick
    {
        public static readonly HeartbeatTick Instance = new();
    }

    private sealed record ResendTick
    {
        public static readonly ResendTick Instance = new();
    }

    private sealed record MetricsTick
    {
        public static readonly MetricsTick Instance = new();
    }

    private sealed record RunStarted(TaskId TaskId, int Attempt, int Pid);

    private sealed record RunProgressed(TaskId TaskId, int Attempt, ProcessProgress Progress);

    private sealed record RunEnded(TaskId TaskId, int Attempt, ProcessOutcome Outcome, TrainingOutputs.Staged? Output);

    private sealed record ShipTimedOut(string Sha256);
}
