using Akka.Actor;
using Akka.Configuration;

namespace ActorGrid.Transfer.Checkpoints;

// actorgrid.worker.checkpoints in HOCON.
public sealed record CheckpointSettings(long MaxBytes, TimeSpan CopyInterval, int ChunkBytes, TimeSpan FetchTimeout)
{
    public static CheckpointSettings From(ActorSystem system) => From(system.Settings.Config.GetConfig("actorgrid.worker.checkpoints"));

    public static CheckpointSettings From(Config? config)
    {
        config ??= Config.Empty;
        return new(
            Bytes(config, "max-bytes", 256L * 1024 * 1024),
            config.GetTimeSpan("copy-interval", TimeSpan.FromSeconds(30)),
            (int)Math.Clamp(Bytes(config, "chunk-bytes", 1024 * 1024), 1, Blobs.BlobChunks.MaxChunk),
            config.GetTimeSpan("fetch-timeout", TimeSpan.FromSeconds(30)));
    }

    private static long Bytes(Config c, string path, long fallback) =>
        c.HasPath(path) ? c.GetByteSize(path) ?? fallback : fallback;
}
