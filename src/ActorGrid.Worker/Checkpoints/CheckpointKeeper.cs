using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Transfer.Checkpoints;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;

namespace ActorGrid.Worker.Checkpoints;

// A worker agent's child that moves checkpoint directories between hosts. Before an attempt
// starts it restores the checkpoint the task named (from this host's store, or fetched from a
// holder, hash-checked) into the attempt's directory; when an attempt ends unfinished it packs the
// directory into the store so another host can fetch it; while attempts run it packs changed
// directories every copy-interval and has a durable host (a gateway, see DurableCheckpoints) copy them,
// so a checkpoint outlives a worker host that dies without warning. Packing and unpacking run off
// the actor thread, and so does every walk or removal of a directory (fingerprints, clearing,
// forgetting); packs of one task never overlap, because a newer archive replaces older ones.
public sealed class CheckpointKeeper : ReceiveActor, IWithTimers
{
    public const string Name = "checkpoint-keeper";
    private const string CopyTimer = "copy";
    private readonly CheckpointStore _store;
    private readonly CheckpointSettings _settings;
    private readonly string _holder;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<TaskId, (string Fingerprint, CheckpointRef Ref)> _packed = new();
    private readonly Dictionary<TaskId, Watch> _watched = new();
    private readonly Dictionary<TaskId, Pack?> _packing = new();
    private readonly Dictionary<IActorRef, RestoreJob> _restores = new();

    // holder: the path of this host's CheckpointServer, named in the refs of what is packed here.
    public CheckpointKeeper(CheckpointStore store, CheckpointSettings settings, string holder)
    {
        _store = store;
        _settings = settings;
        _holder = holder;
        Receive<Restore>(OnRestore);
        Receive<Fetched>(f => { if (_restores.Remove(Sender, out var job)) Unpack(job, f.Path, $"fetched from {job.Ref.Holders[job.Holder]}"); });
        Receive<FetchFailed>(f => { if (_restores.Remove(Sender, out var job)) NextHolder(job with { Failures = [.. job.Failures, f.Reason] }); });
        Receive<Unpacked>(u =>
        {
            _packed[u.Job.Cmd.TaskId] = (u.Fingerprint ?? "", u.Job.Ref);
            Context.Parent.Tell(new Restored(u.Job.Cmd.TaskId, u.Job.Cmd.Attempt,
                $"resumed from checkpoint {Short(u.Job.Ref)} ({u.Job.Ref.SizeBytes} bytes) {u.Source}", Failed: false));
        });
        Receive<UnpackFailed>(u => NextHolder(u.Job with { Failures = [.. u.Job.Failures, u.Reason] }));
        Receive<RestoreChecked>(OnRestoreChecked);
        Receive<Pack>(OnPack);
        Receive<Fingerprinted>(OnFingerprinted);
        Receive<PackDone>(OnPackDone);
        Receive<Watch>(w => _watched[w.TaskId] = w);
        Receive<Unwatch>(u => _watched.Remove(u.TaskId));
        Receive<Forget>(f =>
        {
            _watched.Remove(f.TaskId);
            _packed.Remove(f.TaskId);
            var store = _store;
            // A tenant's directory may hold many files: removing it is no work for the actor's thread.
            Task.Run(() =>
            {
                store.Forget(f.TaskId);
                if (Directory.Exists(f.Dir)) Directory.Delete(f.Dir, recursive: true);
            }).PipeTo(Self, success: () => ForgetDone.Instance,
                failure: ex => new ForgetFailed(f.TaskId, (ex as AggregateException)?.InnerException?.Message ?? ex.Message));
        });
        Receive<ForgetDone>(_ => { });
        Receive<ForgetFailed>(f => _log.Warning("Could not remove checkpoints of {0}: {1}", f.TaskId, f.Reason));
        Receive<CopyTick>(_ => CopyChanged());
        Receive<CheckpointCopied>(OnCopied);
        Receive<CheckpointCopyFailed>(f => _log.Warning("A durable host could not copy checkpoint {0} of {1}: {2}", f.Sha256, f.TaskId, f.Reason));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CheckpointStore store, CheckpointSettings settings, string holder) =>
        Akka.Actor.Props.Create(() => new CheckpointKeeper(store, settings, holder));

    protected override void PreStart()
    {
        if (_settings.CopyInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer(CopyTimer, CopyTick.Instance, _settings.CopyInterval);
    }

    private static string Short(CheckpointRef r) => r.Sha256[..12];

    // ---- restore ----

    private void OnRestore(Restore cmd)
    {
        var job = new RestoreJob(cmd, cmd.Checkpoint, Holder: -1, []); // -1: this host's own store
        if (_packed.TryGetValue(cmd.TaskId, out var last) && last.Ref.Sha256 == cmd.Checkpoint.Sha256)
        {
            // The directory may still be what was packed: walking it to see is file system work.
            var dir = cmd.Dir;
            Task.Run(() => CheckpointArchive.Fingerprint(dir) == last.Fingerprint)
                .PipeTo(Self, success: same => new RestoreChecked(job, same), failure: _ => new RestoreChecked(job, false));
            return;
        }
        RestoreFromStoreOrHolders(job);
    }

    private void OnRestoreChecked(RestoreChecked checkedJob)
    {
        var cmd = checkedJob.Job.Cmd;
        if (checkedJob.StillInPlace)
            Context.Parent.Tell(new Restored(cmd.TaskId, cmd.Attempt, $"resumed from checkpoint {Short(cmd.Checkpoint)}, still in place on this host", Failed: false));
        else
            RestoreFromStoreOrHolders(checkedJob.Job);
    }

    private void RestoreFromStoreOrHolders(RestoreJob job)
    {
        var cmd = job.Cmd;
        if (_store.Has(cmd.TaskId, cmd.Checkpoint.Sha256))
            Unpack(job, _store.PathOf(cmd.TaskId, cmd.Checkpoint.Sha256), "kept on this host");
        else
            NextHolder(job);
    }

    // Tries the holder after the one that just failed; past the last, the attempt starts fresh.
    private void NextHolder(RestoreJob job)
    {
        var holder = job.Holder + 1;
        if (holder >= job.Ref.Holders.Count)
        {
            // Better a fresh start than a half-written directory: the task sees an empty one. The
            // parent hears of it once the directory is cleared, off the actor's thread.
            var parent = Context.Parent; // told as this keeper, like every other report to it
            var failed = job;
            Task.Run(() =>
            {
                var failures = failed.Failures;
                try
                {
                    if (Directory.Exists(failed.Cmd.Dir)) Directory.Delete(failed.Cmd.Dir, recursive: true);
                    Directory.CreateDirectory(failed.Cmd.Dir);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failures = [.. failures, "clearing the directory: " + ex.Message];
                }
                var why = failures.Count == 0 ? "it names no holder" : string.Join("; ", failures);
                return new Restored(failed.Cmd.TaskId, failed.Cmd.Attempt,
                    $"checkpoint {Short(failed.Ref)} could not be restored ({why}); the attempt starts fresh", Failed: true);
            }).PipeTo(parent, Self);
            return;
        }
        var next = job with { Holder = holder };
        var from = job.Ref.Holders[holder];
        if (WhyUnreachable(from) is { } gone)
        {
            NextHolder(next with { Failures = [.. next.Failures, gone] }); // do not wait out a timeout on a host known gone
            return;
        }
        var download = Context.ActorOf(CheckpointDownload.Props(job.Cmd.TaskId, job.Ref, job.Ref.Holders[holder], _store, _settings,
            done: path => new Fetched(path), failed: reason => new FetchFailed(reason)));
        _restores[download] = next;
    }

    private string? WhyUnreachable(string holder)
    {
        if (!ActorPath.TryParse(holder, out var path)) return $"'{holder}' is not an actor path";
        var state = Cluster.Get(Context.System).State;
        if (state.Unreachable.Any(m => m.Address == path.Address)) return $"{path.Address} is unreachable";
        return state.Members.Any(m => m.Address == path.Address && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving)
            ? null
            : $"{path.Address} is not in the cluster";
    }

    private void Unpack(RestoreJob job, string archive, string source) =>
        UnpackAndFingerprintAsync(archive, job.Ref.Sha256, job.Cmd.Dir)
            .PipeTo(Self, success: fingerprint => new Unpacked(job, source, fingerprint), failure: ex => new UnpackFailed(job, "unpacking it: " + ex.Message));

    private static async Task<string?> UnpackAndFingerprintAsync(string archive, string sha256, string dir)
    {
        await CheckpointArchive.UnpackAsync(archive, sha256, dir).ConfigureAwait(false);
        return CheckpointArchive.Fingerprint(dir);
    }

    // ---- pack ----

    private void OnPack(Pack cmd)
    {
        if (!cmd.ReplyToParent && !_watched.ContainsKey(cmd.TaskId)) return; // a periodic pack for a run that ended meanwhile
        if (_packing.TryGetValue(cmd.TaskId, out var queued))
        {
            // After the pack under way, so archives of one task never race; an attempt's final pack,
            // which the agent waits for, is never displaced by a periodic one.
            if (queued is not { ReplyToParent: true } || cmd.ReplyToParent) _packing[cmd.TaskId] = cmd;
            return;
        }
        // From here until PackDone this task is packing: a pack asked for meanwhile waits its turn.
        _packing[cmd.TaskId] = null;
        var dir = cmd.Dir;
        Task.Run(() => CheckpointArchive.Fingerprint(dir))
            .PipeTo(Self, success: fingerprint => new Fingerprinted(cmd, fingerprint), failure: _ => new Fingerprinted(cmd, null));
    }

    private void OnFingerprinted(Fingerprinted f)
    {
        var cmd = f.Cmd;
        if (f.Fingerprint is null)
        {
            OnPackDone(new PackDone(cmd, null, null)); // nothing to pack
            return;
        }
        if (_packed.TryGetValue(cmd.TaskId, out var last) && last.Fingerprint == f.Fingerprint && _store.Has(cmd.TaskId, last.Ref.Sha256))
        {
            // Unchanged since the last pack: nothing new to copy either.
            if (cmd.ReplyToParent) Context.Parent.Tell(new Packed(cmd.TaskId, cmd.Attempt, last.Ref.WithHolder(_holder), null));
            FinishPacking(cmd.TaskId);
            return;
        }
        CheckpointArchive.PackAsync(cmd.Dir, _store, cmd.TaskId, _settings.MaxBytes)
            .PipeTo(Self, success: p => new PackDone(cmd, p, null), failure: ex => new PackDone(cmd, null, (ex as AggregateException)?.InnerException?.Message ?? ex.Message));
    }

    private void OnPackDone(PackDone done)
    {
        var cmd = done.Cmd;
        CheckpointRef? packed = null;
        if (done.Result is { } p)
        {
            packed = new CheckpointRef(p.Sha256, p.SizeBytes, [_holder], DateTimeOffset.UtcNow);
            _packed[cmd.TaskId] = (p.Fingerprint, packed);
            CopyToDurableHost(cmd.TaskId, cmd.Attempt, packed);
        }
        else if (done.Error is not null)
            _log.Warning("Checkpoint of {0} attempt {1} was not packed: {2}", cmd.TaskId, cmd.Attempt, done.Error);
        if (cmd.ReplyToParent)
            Context.Parent.Tell(new Packed(cmd.TaskId, cmd.Attempt, packed, done.Error is null ? null : "its checkpoint was not kept: " + done.Error));
        FinishPacking(cmd.TaskId);
    }

    private void FinishPacking(TaskId task)
    {
        _packing.Remove(task, out var queued);
        if (queued is not null) OnPack(queued);
    }

    // ---- periodic durable copies ----

    private void CopyChanged()
    {
        foreach (var w in _watched.Values)
            Self.Tell(new Pack(w.TaskId, w.Attempt, w.Dir, ReplyToParent: false));
    }

    // The oldest gateway that is up keeps the copy; with none (or copies switched off) there is no durable copy.
    private void CopyToDurableHost(TaskId task, int attempt, CheckpointRef checkpoint)
    {
        if (_settings.CopyInterval <= TimeSpan.Zero) return;
        var durable = Cluster.Get(Context.System).State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(Roles.Gateway))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        if (durable is null) return;
        Context.ActorSelection(durable.Address + DurableCheckpoints.Path).Tell(new CopyCheckpoint(task, attempt, checkpoint));
    }

    // Best effort: a lost report is made good by the next copy of a changed directory.
    private void OnCopied(CheckpointCopied copied)
    {
        if (!_packed.TryGetValue(copied.TaskId, out var last) || last.Ref.Sha256 != copied.Sha256) return;
        var withCopy = last.Ref.WithHolder(copied.Holder);
        _packed[copied.TaskId] = (last.Fingerprint, withCopy);
        if (ActorRegistry.For(Context.System).TryGet<TaskRegionKey>(out var tasks))
            tasks.Tell(new ReportTaskCheckpoint(copied.TaskId, copied.Attempt, withCopy));
    }

    // Messages with the worker agent (local only).
    public sealed record Restore(TaskId TaskId, int Attempt, CheckpointRef Checkpoint, string Dir);

    public sealed record Restored(TaskId TaskId, int Attempt, string Note, bool Failed);

    public sealed record Pack(TaskId TaskId, int Attempt, string Dir, bool ReplyToParent = true);

    public sealed record Packed(TaskId TaskId, int Attempt, CheckpointRef? Checkpoint, string? Problem);

    public sealed record Watch(TaskId TaskId, int Attempt, string Dir);

    public sealed record Unwatch(TaskId TaskId);

    public sealed record Forget(TaskId TaskId, string Dir);

    private sealed record RestoreJob(Restore Cmd, CheckpointRef Ref, int Holder, IReadOnlyList<string> Failures);

    private sealed record Fetched(string Path);

    private sealed record FetchFailed(string Reason);

    private sealed record Unpacked(RestoreJob Job, string Source, string? Fingerprint);

    private sealed record RestoreChecked(RestoreJob Job, bool StillInPlace);

    private sealed record Fingerprinted(Pack Cmd, string? Fingerprint);

    private sealed record ForgetFailed(TaskId TaskId, string Reason);

    private sealed record ForgetDone
    {
        public static readonly ForgetDone Instance = new();
    }

    private sealed record UnpackFailed(RestoreJob Job, string Reason);

    private sealed record PackDone(Pack Cmd, CheckpointArchive.Packed? Result, string? Error);

    private sealed record CopyTick
    {
        public static readonly CopyTick Instance = new();
    }
}
