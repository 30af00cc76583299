using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Transfer.Blobs;
using Akka.Actor;

namespace ActorGrid.Transfer.Checkpoints;

// A BlobDownload of one packed checkpoint from one of its holders into the local store. The parent
// gets done(path of the committed archive) or failed(reason).
public static class CheckpointDownload
{
    public static Props Props(
        TaskId task, CheckpointRef checkpoint, string holder, CheckpointStore store, CheckpointSettings settings,
        Func<string, object> done, Func<string, object> failed) =>
        BlobDownload.Props(new BlobDownloadSpec(
            checkpoint.Sha256,
            checkpoint.SizeBytes,
            holder,
            store.NewTempFile(),
            settings.ChunkBytes,
            settings.FetchTimeout,
            Request: (offset, max) => new FetchCheckpoint(task, checkpoint.Sha256, offset, max),
            Read: message => message switch
            {
                CheckpointChunk c when c.TaskId == task && c.Sha256 == checkpoint.Sha256 => new BlobAnswer.Chunk(c.Offset, c.TotalBytes, c.Data),
                CheckpointMissing m when m.TaskId == task && m.Sha256 == checkpoint.Sha256 => new BlobAnswer.Missing(m.Reason),
                _ => null,
            },
            Done: temp => done(store.Commit(temp, task, checkpoint.Sha256)),
            Failed: reason => failed($"fetching checkpoint {checkpoint.Sha256[..12]} ({checkpoint.SizeBytes} bytes) from {holder} failed: {reason}")));
}
