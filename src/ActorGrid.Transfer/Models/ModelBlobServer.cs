using ActorGrid.Protocol.Models;
using ActorGrid.Transfer.Blobs;
using Akka.Actor;
using Akka.Cluster;

namespace ActorGrid.Transfer.Models;

// /user/model-blobs on hosts that store uploads (gateways): hands out chunks of a stored model
// to workers that fetch it. Reads are asynchronous and piped straight back to the asker.
// It also takes copies (CopyModelBlob): a worker whose training attempt produced a model asks a
// gateway to pull it, with the same chunked BlobDownload, from the worker's own server
// (/user/worker/model-blobs), so the version is stored where uploads are and outlives the worker.
public sealed class ModelBlobServer : ReceiveActor
{
    public const string Name = "model-blobs";
    public const string Path = "/user/" + Name;
    private readonly Dictionary<IActorRef, (IActorRef ReplyTo, CopyModelBlob Copy)> _copies = new();

    public ModelBlobServer(ModelBlobStore store, int chunkBytes = 1024 * 1024, TimeSpan? fetchTimeout = null)
    {
        var timeout = fetchTimeout ?? TimeSpan.FromSeconds(30);
        Receive<FetchModelBlob>(fetch =>
        {
            if (!store.Has(fetch.Sha256))
            {
                Sender.Tell(new ModelBlobMissing(fetch.Sha256, $"model blob {fetch.Sha256} is not stored on this host"));
                return;
            }
            var path = store.PathOf(fetch.Sha256);
            ReadAsync(path, fetch).PipeTo(Sender, failure: ex => new ModelBlobMissing(fetch.Sha256, "reading it failed: " + ex.Message));
        });
        Receive<CopyModelBlob>(copy =>
        {
            if (!ModelBlobStore.IsSha256(copy.Sha256))
            {
                Sender.Tell(new ModelBlobCopyFailed(copy.Sha256, $"'{copy.Sha256}' is not a SHA-256 in lower-case hex"));
                return;
            }
            if (store.Has(copy.Sha256))
            {
                Sender.Tell(new ModelBlobCopied(copy.Sha256, StoredBy));
                return;
            }
            var download = Context.ActorOf(BlobDownload.Props(new BlobDownloadSpec(
                copy.Sha256, copy.SizeBytes, copy.Holder, store.NewTempFile(), chunkBytes, timeout,
                Request: (offset, max) => new FetchModelBlob(copy.Sha256, offset, max),
                Read: message => message switch
                {
                    ModelBlobChunk c when c.Sha256 == copy.Sha256 => new BlobAnswer.Chunk(c.Offset, c.TotalBytes, c.Data),
                    ModelBlobMissing m when m.Sha256 == copy.Sha256 => new BlobAnswer.Missing(m.Reason),
                    _ => null,
                },
                Done: temp =>
                {
                    store.Commit(temp, copy.Sha256);
                    return new CopyDone(null);
                },
                Failed: reason => new CopyDone($"fetching {copy.SizeBytes} bytes from {copy.Holder} failed: {reason}"))));
            _copies[download] = (Sender, copy);
        });
        // A download tells us its outcome itself, so Sender names the copy it belongs to.
        Receive<CopyDone>(done =>
        {
            if (!_copies.Remove(Sender, out var pending)) return;
            pending.ReplyTo.Tell(done.Failure is null
                ? new ModelBlobCopied(pending.Copy.Sha256, StoredBy)
                : new ModelBlobCopyFailed(pending.Copy.Sha256, done.Failure));
        });
    }

    public static Props Props(ModelBlobStore store) => Akka.Actor.Props.Create(() => new ModelBlobServer(store, 1024 * 1024, null));

    // What a ModelRef's StoredBy names: this host, whose /user/model-blobs serves the bytes.
    private string StoredBy => Cluster.Get(Context.System).SelfAddress.ToString();

    private static async Task<ModelBlobChunk> ReadAsync(string path, FetchModelBlob fetch)
    {
        var (total, data) = await BlobChunks.ReadAsync(path, fetch.Offset, fetch.MaxBytes);
        return new ModelBlobChunk(fetch.Sha256, fetch.Offset, total, data);
    }

    private sealed record CopyDone(string? Failure);
}
