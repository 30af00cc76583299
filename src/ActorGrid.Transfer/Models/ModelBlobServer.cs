using ActorGrid.Protocol.Models;
using ActorGrid.Transfer.Blobs;
using Akka.Actor;

namespace ActorGrid.Transfer.Models;

// /user/model-blobs on hosts that store uploads (gateways): hands out chunks of a stored model
// to workers that fetch it. Reads are asynchronous and piped straight back to the asker.
public sealed class ModelBlobServer : ReceiveActor
{
    public const string Name = "model-blobs";
    public const string Path = "/user/" + Name;

    public ModelBlobServer(ModelBlobStore store)
    {
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
    }

    public static Props Props(ModelBlobStore store) => Akka.Actor.Props.Create(() => new ModelBlobServer(store));

    private static async Task<ModelBlobChunk> ReadAsync(string path, FetchModelBlob fetch)
    {
        var (total, data) = await BlobChunks.ReadAsync(path, fetch.Offset, fetch.MaxBytes);
        return new ModelBlobChunk(fetch.Sha256, fetch.Offset, total, data);
    }
}
