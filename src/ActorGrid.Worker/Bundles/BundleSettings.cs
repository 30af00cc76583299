using ActorGrid.Transfer.Blobs;
using Akka.Configuration;

namespace ActorGrid.Worker.Bundles;

// actorgrid.worker.bundles in HOCON: how workers fetch bundles and how much one may unpack to.
public sealed record BundleSettings(int ChunkBytes, TimeSpan FetchTimeout, long MaxUnpackedBytes)
{
    public static BundleSettings From(Config? config)
    {
        config = config?.GetConfig("actorgrid.worker.bundles") ?? Config.Empty;
        return new(
            (int)Math.Clamp(Bytes(config, "chunk-bytes", 1024 * 1024), 1, BlobChunks.MaxChunk),
            config.GetTimeSpan("fetch-timeout", TimeSpan.FromSeconds(30)),
            Bytes(config, "max-unpacked-bytes", 4L * 1024 * 1024 * 1024));
    }

    private static long Bytes(Config c, string path, long fallback) =>
        c.HasPath(path) ? c.GetByteSize(path) ?? fallback : fallback;
}
