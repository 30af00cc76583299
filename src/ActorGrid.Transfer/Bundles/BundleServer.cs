using ActorGrid.Protocol.Bundles;
using ActorGrid.Transfer.Blobs;
using Akka.Actor;

namespace ActorGrid.Transfer.Bundles;

// /user/bundles on gateways: hands out chunks of a stored bundle to the workers that run tasks
// with it. Reads are asynchronous and piped straight back to the asker. Whether the asker's task
// may use the bundle was decided when the gateway accepted the task, so only the hash is asked.
public sealed class BundleServer : ReceiveActor
{
    public const string Name = "bundles";
    public const string Path = "/user/" + Name;

    public BundleServer(BundleStore store)
    {
        Receive<FetchBundle>(fetch =>
        {
            if (!BlobStore.IsSha256(fetch.Sha256))
            {
                Sender.Tell(new BundleMissing(fetch.Sha256, $"'{fetch.Sha256}' is not a SHA-256"));
                return;
            }
            var path = store.PathOf(fetch.Sha256);
            ReadAsync(path, fetch).PipeTo(Sender, failure: ex => ((ex as AggregateException)?.InnerException ?? ex) is FileNotFoundException
                ? new BundleMissing(fetch.Sha256, $"bundle {fetch.Sha256} is not stored on this host")
                : new BundleMissing(fetch.Sha256, "reading it failed: " + ex.Message));
        });
    }

    public static Props Props(BundleStore store) => Akka.Actor.Props.Create(() => new BundleServer(store));

    private static async Task<BundleChunk> ReadAsync(string path, FetchBundle fetch)
    {
        var (total, data) = await BlobChunks.ReadAsync(path, fetch.Offset, fetch.MaxBytes);
        return new BundleChunk(fetch.Sha256, fetch.Offset, total, data);
    }
}
