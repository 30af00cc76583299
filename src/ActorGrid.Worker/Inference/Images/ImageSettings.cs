using Akka.Configuration;

namespace ActorGrid.Worker.Inference.Images;

// actorgrid.inference.images: how large a camera frame may be. Bytes are checked before the body
// is read, width and height from the image's header before any pixel is decoded, so a small file
// that claims 60000×60000 (a decompression bomb) costs a header read, not gigabytes.
public sealed record ImageSettings(long MaxBytes, int MaxWidth, int MaxHeight)
{
    public static readonly ImageSettings Default = From(ConfigurationFactory.Empty);

    public static ImageSettings From(Config config)
    {
        var c = config.HasPath("actorgrid.inference.images") ? config.GetConfig("actorgrid.inference.images") : ConfigurationFactory.Empty;
        return new ImageSettings(
            c.HasPath("max-bytes") ? c.GetByteSize("max-bytes") ?? 16L * 1024 * 1024 : 16L * 1024 * 1024,
            Math.Max(1, c.GetInt("max-width", 8192)),
            Math.Max(1, c.GetInt("max-height", 8192)));
    }
}
