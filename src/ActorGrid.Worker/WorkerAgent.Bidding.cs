using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Worker;

// The worker's side of contract-net placement: bids against its own ledger, and an award
// honoured only if the room is still there (evicting what placement proposed, gracefully).
public sealed partial class WorkerAgent
{
    private void OnCallForBids(CallForBids cfp)
    {
        if (_sandbox.Refuses)
        {
            Sender.Tell(new BidDeclined(cfp.TaskId, cfp.Attempt, cfp.Round, _descriptor.Id, SandboxRefusal));
            return;
        }
        var evicting = _ledger.Evictable(cfp.Preemptible, cfp.Lane);
        var whyNot = _ledger.WhyNot(cfp.Requirements, evicting);
        if (whyNot is not null)
        {
            Sender.Tell(new BidDeclined(cfp.TaskId, cfp.Attempt, cfp.Round, _descriptor.Id, whyNot));
            return;
        }
        var (cpu, memory, _) = _ledger.Free(evicting);
        Sender.Tell(new BidSubmitted(cfp.TaskId, cfp.Attempt, cfp.Round, _descriptor.Id, cpu, memory,
            _ledger.Claims.Count, EstimatedStartSeconds: evicting.Count > 0 ? 1 : 0, PriceOf(cfp.Requirements)));
    }

    // The award is honoured only if the room is still there now; then it is promised to the task
    // (and whatever must be evicted for it is stopped) before we say yes.
    private void OnAward(AwardTask award)
    {
        if (_ledger.Claims.Any(c => c.TaskId == award.TaskId && c.Attempt == award.Attempt))
        {
            Sender.Tell(new AwardAccepted(award.TaskId, award.Attempt, award.Round, _descriptor.Id));
            return;
        }
        var evicting = _ledger.Evictable(award.Preempt, award.Lane);
        var whyNot = _sandbox.Refuses ? SandboxRefusal : _ledger.WhyNot(award.Requirements, evicting);
        if (whyNot is not null)
        {
            Sender.Tell(new AwardRefused(award.TaskId, award.Attempt, award.Round, _descriptor.Id, whyNot));
            return;
        }
        // The victims' room is promised at once (the ledger never counts it twice), but they keep
        // it physically until they have exited: this award's launch waits for that (Launch).
        var inGrace = new List<(TaskId, int)>();
        foreach (var victim in evicting)
        {
            if (_runs.TryGetValue(victim, out var run) && run.Exit is null)
            {
                Stop(run, AttemptOutcomes.Preempted, $"preempted on {_descriptor.Id} for {award.TaskId}");
                if (run.Ended is null) inGrace.Add((run.TaskId, run.Attempt));
            }
            _ledger.Release(victim);
        }
        if (inGrace.Count > 0) _awaitingRoom[award.TaskId] = inGrace;
        if (_ledger.Promise(award.TaskId, award.Attempt, award.Requirements, award.Lane, award.Preemptible, DateTimeOffset.UtcNow) is { } noChips)
        {
            Sender.Tell(new AwardRefused(award.TaskId, award.Attempt, award.Round, _descriptor.Id, noChips));
            return;
        }
        Sender.Tell(new AwardAccepted(award.TaskId, award.Attempt, award.Round, _descriptor.Id));
        Heartbeat();
    }

    // Preempted and drained attempts are the grid's doing, not the task's: they get SIGTERM and
    // their grace to checkpoint. Everything else is killed at once: a tenant's cancel, and the
    // fencing stops (lease lapse, node lost), which must not wait, since placement may already run
    // the attempt elsewhere once the lease is gone; timeouts are ProcessExecution's, also at once.
    private void Stop(Run run, string outcome, string reason)
    {
        var graceful = outcome is AttemptOutcomes.Preempted or AttemptOutcomes.Drained;
        _log.Info("Stopping {0} attempt {1} ({2}{3}): {4}", run.TaskId, run.Attempt, outcome, graceful ? $", {GraceFor(run.Spec).TotalSeconds:0.#}s grace" : "", reason);
        run.StopOutcome = outcome;
        run.StopReason = reason;
        if (graceful) run.Terminate.Cancel();
        else run.Cancel.Cancel();
        if (run.PendingLaunch is { } pending) Launch(run, pending); // ends at once: it never started
    }

    // The attempts an award evicted that have not exited yet.
    private List<(TaskId Task, int Attempt)> StillInGrace(TaskId awarded) =>
        _awaitingRoom.TryGetValue(awarded, out var victims)
            ? [.. victims.Where(v => _runs.TryGetValue(v.Task, out var r) && r.Attempt == v.Attempt && r.Ended is null && r.Exit is null)]
            : [];

    private void LaunchWhatWaitedFor(TaskId task, int attempt)
    {
        foreach (var waiting in _runs.Values.Where(r => r.PendingLaunch is not null
                     && _awaitingRoom.TryGetValue(r.TaskId, out var victims) && victims.Contains((task, attempt))).ToList())
        {
            if (StillInGrace(waiting.TaskId).Count == 0) Launch(waiting, waiting.PendingLaunch!);
        }
    }

    private string SandboxRefusal =>
        $"{_descriptor.Id} runs no tenant tasks: it cannot sandbox them ({_sandbox.WhyNot}); set actorgrid.workers.sandbox = off to run them unsandboxed";

    private decimal PriceOf(ResourceRequirements req) =>
        (decimal)req.Cpu * _descriptor.PricePerCoreHour + (req.Chips?.Count ?? 0) * _descriptor.PricePerChipHour;
}
