using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Transfer.Blobs;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorGrid.Transfer.Checkpoints;

// Serves a host's packed checkpoints to the workers that resume from them, takes copies of other
// hosts' checkpoints when asked (CopyCheckpoint, from a worker that wants its checkpoint to outlive
// it), and forgets a task's checkpoints when the task is done. Runs on every worker host as
// /user/worker/checkpoints, and on hosts with durable storage (gateways) as
// /user/checkpoints (see DurableCheckpoints).
public sealed class CheckpointServer : ReceiveActor
{
    public const string Name = "checkpoints";
    private readonly CheckpointStore _store;
    private readonly CheckpointSettings _settings;
    private readonly string? _checkpointRoot;
    private readonly Dictionary<IActorRef, (IActorRef ReplyTo, CopyCheckpoint Copy, int Holder)> _copies = new();

    // checkpointRoot: on a worker, where tasks' checkpoint directories live, so forgetting a task
    // removes its directory too; null on a durable host.
    public CheckpointServer(CheckpointStore store, CheckpointSettings settings, string? checkpointRoot)
    {
        _store = store;
        _settings = settings;
        _checkpointRoot = checkpointRoot;
        Receive<FetchCheckpoint>(Serve);
        Receive<CopyCheckpoint>(Copy);
        // A download tells us its outcome itself, so Sender names the copy it belongs to.
        Receive<CopyDone>(_ => Finish(Sender, null));
        Receive<CopyFailed>(failed => Finish(Sender, failed.Reason));
        Receive<ForgetCheckpoints>(Forget);
    }

    public static Props Props(CheckpointStore store, CheckpointSettings settings, string? checkpointRoot = null) =>
        Akka.Actor.Props.Create(() => new CheckpointServer(store, settings, checkpointRoot));

    // What other hosts put in a CheckpointRef's holders to reach this server.
    private string Holder => Cluster.Get(Context.System).SelfAddress + Self.Path.ToStringWithoutAddress();

    private void Forget(ForgetCheckpoints forget)
    {
        try
        {
            _store.Forget(forget.TaskId);
            if (_checkpointRoot is not null && IdRules.IsValid(forget.TaskId.Value))
            {
                var dir = Path.Combine(_checkpointRoot, forget.TaskId.Value);
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException ex)
        {
            Context.GetLogger().Warning("Could not remove checkpoints of {0}: {1}", forget.TaskId, ex.Message);
        }
    }

    private void Serve(FetchCheckpoint fetch)
    {
        if (!_store.Has(fetch.TaskId, fetch.Sha256))
        {
            Sender.Tell(new CheckpointMissing(fetch.TaskId, fetch.Sha256, $"checkpoint {fetch.Sha256} of {fetch.TaskId} is not stored on this host"));
            return;
        }
        BlobChunks.ReadAsync(_store.PathOf(fetch.TaskId, fetch.Sha256), fetch.Offset, fetch.MaxBytes)
            .PipeTo(Sender,
                success: r => new CheckpointChunk(fetch.TaskId, fetch.Sha256, fetch.Offset, r.Total, r.Data),
                failure: ex => new CheckpointMissing(fetch.TaskId, fetch.Sha256, "reading it failed: " + ex.Message));
    }

    private void Copy(CopyCheckpoint copy)
    {
        var checkpoint = copy.Checkpoint;
        if (_store.Has(copy.TaskId, checkpoint.Sha256))
        {
            Sender.Tell(new CheckpointCopied(copy.TaskId, copy.Attempt, checkpoint.Sha256, Holder));
            return;
        }
        StartCopy(Sender, copy, 0);
    }

    // Tries the holders in order, from the index-th on, skipping this host itself.
    private void StartCopy(IActorRef replyTo, CopyCheckpoint copy, int index)
    {
        var holders = copy.Checkpoint.Holders;
        while (index < holders.Count && holders[index] == Holder) index++;
        if (index >= holders.Count)
        {
            replyTo.Tell(new CheckpointCopyFailed(copy.TaskId, copy.Attempt, copy.Checkpoint.Sha256, "no other host holds it"));
            return;
        }
        var download = Context.ActorOf(CheckpointDownload.Props(copy.TaskId, copy.Checkpoint, holders[index], _store, _settings,
            done: path => new CopyDone(path), failed: reason => new CopyFailed(reason)));
        _copies[download] = (replyTo, copy, index);
    }

    private void Finish(IActorRef download, string? failure)
    {
        if (!_copies.Remove(download, out var pending)) return;
        var (replyTo, copy, index) = pending;
        if (failure is null)
            replyTo.Tell(new CheckpointCopied(copy.TaskId, copy.Attempt, copy.Checkpoint.Sha256, Holder));
        else if (index + 1 < copy.Checkpoint.Holders.Count)
            StartCopy(replyTo, copy, index + 1);
        else
            replyTo.Tell(new CheckpointCopyFailed(copy.TaskId, copy.Attempt, copy.Checkpoint.Sha256, failure));
    }

    private sealed record CopyDone(string Path);

    private sealed record CopyFailed(string Reason);
}
