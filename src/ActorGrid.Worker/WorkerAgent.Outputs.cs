using ActorGrid.Hosting;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Checkpoints;
using ActorGrid.Worker.Training;
using Akka.Cluster;
using Akka.Event;

namespace ActorGrid.Worker;

// A succeeded training attempt's output model: packed with its checkpoint, pulled by a gateway
// into its model blob store, then reported with the exit so the task registers the version.
public sealed partial class WorkerAgent
{
    private void OnPacked(CheckpointKeeper.Packed packed)
    {
        if (!IsCurrent(packed.TaskId, packed.Attempt, out var run) || run.Ended is not { } ended || run.Exit is not null) return;
        var reason = packed.Problem is null ? ended.Reason : $"{ended.Reason}; {packed.Problem}";
        if (run.Staged is { } staged && ended.Outcome == AttemptOutcomes.Succeeded)
        {
            run.Ended = ended with { Checkpoint = packed.Checkpoint };
            ShipOutput(run, staged);
            return;
        }
        ReportExit(run, ended with { Checkpoint = packed.Checkpoint, Reason = reason });
    }

    // The oldest gateway that is up pulls the output into its model blob store, where uploads are.
    private void ShipOutput(Run run, TrainingOutputs.Staged staged)
    {
        var gateway = Cluster.Get(Context.System).State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(Roles.Gateway))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (gateway is null || _modelBlobHolder is null)
        {
            OnOutputNotCopied(staged.Sha256, "no gateway is up to keep its output model");
            return;
        }
        _log.Info("{0} attempt {1} produced model {2} ({3} bytes); {4} takes a copy", run.TaskId, run.Attempt, staged.Sha256[..12], staged.SizeBytes, gateway.Address);
        Context.ActorSelection(gateway.Address + ModelBlobServer.Path).Tell(new CopyModelBlob(staged.Sha256, staged.SizeBytes, _modelBlobHolder));
        Timers.StartSingleTimer("ship-" + run.TaskId.Value, new ShipTimedOut(staged.Sha256), ShipTimeout);
    }

    private Run? Shipping(string sha256) =>
        _runs.Values.FirstOrDefault(r => r.Staged?.Sha256 == sha256 && r.Ended is not null && r.Exit is null);

    private void OnOutputCopied(ModelBlobCopied copied)
    {
        if (Shipping(copied.Sha256) is not { Staged: { } staged, Ended: { } ended } run) return;
        Timers.Cancel("ship-" + run.TaskId.Value);
        ReportExit(run, ended with { Output = new TrainedModel(staged.Sha256, staged.SizeBytes, staged.Signature, copied.StoredBy) });
    }

    // The process did its work but its model could not be kept: the attempt counts as failed, so
    // the task tries again (from the checkpoint just packed) while it has attempts left.
    private void OnOutputNotCopied(string sha256, string why)
    {
        if (Shipping(sha256) is not { Ended: { } ended } run) return;
        Timers.Cancel("ship-" + run.TaskId.Value);
        _log.Warning("{0} attempt {1}: {2}", run.TaskId, run.Attempt, why);
        ReportExit(run, ended with { Outcome = AttemptOutcomes.Failed, Reason = $"the process succeeded but {why}" });
    }
}
