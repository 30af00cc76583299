using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Transfer.Blobs;
using ActorGrid.Transfer.Models;
using Akka.Actor;

namespace ActorGrid.Worker.Inference;

// Child of a ModelRunner on a worker that lacks a model's bytes: a BlobDownload that pulls them
// chunk by chunk from /user/model-blobs on the host that stored them, checks the SHA-256 and
// commits the file to the local blob store. Tells its parent BlobReady or LoadFailed.
public static class ModelBlobFetcher
{
    public static Props Props(ModelRef model, ModelBlobStore store, InferenceSettings settings) => BlobDownload.Props(new BlobDownloadSpec(
        model.Sha256,
        model.SizeBytes,
        model.StoredBy + ModelBlobServer.Path,
        store.NewTempFile(),
        settings.BlobChunkBytes,
        settings.BlobFetchTimeout,
        Request: (offset, max) => new FetchModelBlob(model.Sha256, offset, max),
        Read: message => message switch
        {
            ModelBlobChunk c when c.Sha256 == model.Sha256 => new BlobAnswer.Chunk(c.Offset, c.TotalBytes, c.Data),
            ModelBlobMissing m when m.Sha256 == model.Sha256 => new BlobAnswer.Missing(m.Reason),
            _ => null,
        },
        Done: temp => new ModelRunner.BlobReady(store.Commit(temp, model.Sha256)),
        Failed: reason => new ModelRunner.LoadFailed($"fetching {model.SizeBytes} bytes from {model.StoredBy} failed: {reason}")));
}
