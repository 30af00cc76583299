using ActorGrid.Protocol;
using ActorGrid.Protocol.Bundles;
using ActorGrid.Transfer.Blobs;
using ActorGrid.Transfer.Bundles;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Worker.Bundles;

// A worker agent's child that keeps the bundles its attempts need, one verified copy per host
// (<attempts root>/bundles/blobs/<sha256>.tar, a different place from any gateway's store). An
// attempt's bundle already here is used as it is; otherwise a BlobDownload pulls it chunk by chunk
// from /user/bundles on the gateway that stored it and checks its SHA-256, and only a file whose
// hash matched is ever committed, so a failed or corrupt fetch leaves nothing behind to be found
// later. Attempts waiting for the same bundle share one download. The lookups run off the actor
// thread; Hits and Downloads are counted for the log and the note on each attempt's start.
public sealed class BundleCache : ReceiveActor
{
    public const string Name = "bundle-cache";
    private readonly BlobStore _store;
    private readonly BundleSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, List<Fetch>> _downloading = new(StringComparer.Ordinal);
    private long _hits;
    private long _downloads;

    public BundleCache(BlobStore store, BundleSettings settings)
    {
        _store = store;
        _settings = settings;
        Receive<Fetch>(OnFetch);
        Receive<Looked>(OnLooked);
        Receive<Downloaded>(OnDownloaded);
        Receive<DownloadFailed>(OnDownloadFailed);
    }

    public static Props Props(BlobStore store, BundleSettings settings) => Akka.Actor.Props.Create(() => new BundleCache(store, settings));

    private void OnFetch(Fetch cmd)
    {
        if (_downloading.TryGetValue(cmd.Bundle.Sha256, out var waiting))
        {
            waiting.Add(cmd);
            return;
        }
        var store = _store;
        var sha = cmd.Bundle.Sha256;
        Task.Run(() => store.Has(sha) ? store.PathOf(sha) : null)
            .PipeTo(Self, success: path => new Looked(cmd, path), failure: _ => new Looked(cmd, null));
    }

    private void OnLooked(Looked looked)
    {
        var cmd = looked.Cmd;
        var bundle = cmd.Bundle;
        if (looked.Path is { } path)
        {
            _hits++;
            _log.Info("Bundle {0} for {1} attempt {2}: cache hit on this host ({3} hits, {4} downloads so far)", bundle.Sha256, cmd.TaskId, cmd.Attempt, _hits, _downloads);
            Context.Parent.Tell(new Ready(cmd.TaskId, cmd.Attempt, path, $"bundle {Short(bundle)} ({bundle.SizeBytes} bytes) from this host's cache"));
            return;
        }
        if (_downloading.TryGetValue(bundle.Sha256, out var waiting))
        {
            waiting.Add(cmd); // a download began while we looked
            return;
        }
        _downloading[bundle.Sha256] = [cmd];
        _log.Info("Bundle {0} for {1} attempt {2}: not on this host, fetching {3} bytes from {4}", bundle.Sha256, cmd.TaskId, cmd.Attempt, bundle.SizeBytes, bundle.StoredBy);
        var store = _store;
        Context.ActorOf(BlobDownload.Props(new BlobDownloadSpec(
            bundle.Sha256,
            bundle.SizeBytes,
            bundle.StoredBy + BundleServer.Path,
            store.NewTempFile(),
            _settings.ChunkBytes,
            _settings.FetchTimeout,
            Request: (offset, max) => new FetchBundle(bundle.Sha256, offset, max),
            Read: message => message switch
            {
                BundleChunk c when c.Sha256 == bundle.Sha256 => new BlobAnswer.Chunk(c.Offset, c.TotalBytes, c.Data),
                BundleMissing m when m.Sha256 == bundle.Sha256 => new BlobAnswer.Missing(m.Reason),
                _ => null,
            },
            // The hash matched: the file moves into place (a rename, as the model fetcher does).
            Done: temp => new Downloaded(bundle, store.Commit(temp, bundle.Sha256)),
            Failed: reason => new DownloadFailed(bundle, reason))));
    }

    private void OnDownloaded(Downloaded done)
    {
        _downloads++;
        if (!_downloading.Remove(done.Bundle.Sha256, out var waiting)) return;
        _log.Info("Bundle {0} fetched from {1} and kept on this host ({2} hits, {3} downloads so far)", done.Bundle.Sha256, done.Bundle.StoredBy, _hits, _downloads);
        foreach (var cmd in waiting)
            Context.Parent.Tell(new Ready(cmd.TaskId, cmd.Attempt, done.Path,
                $"bundle {Short(done.Bundle)} ({done.Bundle.SizeBytes} bytes) fetched from {done.Bundle.StoredBy}"));
    }

    private void OnDownloadFailed(DownloadFailed failed)
    {
        if (!_downloading.Remove(failed.Bundle.Sha256, out var waiting)) return;
        var reason = $"bundle {failed.Bundle.Sha256} could not be fetched from {failed.Bundle.StoredBy}: {failed.Reason}";
        _log.Warning("{0}", reason);
        foreach (var cmd in waiting) Context.Parent.Tell(new Failed(cmd.TaskId, cmd.Attempt, reason));
    }

    private static string Short(BundleRef bundle) => bundle.Sha256[..12];

    // Messages with the worker agent (local only).
    public sealed record Fetch(TaskId TaskId, int Attempt, BundleRef Bundle);

    public sealed record Ready(TaskId TaskId, int Attempt, string Archive, string Note);

    public sealed record Failed(TaskId TaskId, int Attempt, string Reason);

    private sealed record Looked(Fetch Cmd, string? Path);

    private sealed record Downloaded(BundleRef Bundle, string Path);

    private sealed record DownloadFailed(BundleRef Bundle, string Reason);
}
