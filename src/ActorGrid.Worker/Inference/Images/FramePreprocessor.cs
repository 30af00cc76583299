using System.Runtime.InteropServices;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using SkiaSharp;

namespace ActorGrid.Worker.Inference.Images;

// Why a frame was refused: too large (413) or unreadable (400). The gateway maps it to a status.
public sealed record FrameRefusal(string Reason, bool TooLarge);

// A JPEG or PNG camera frame to the model's float32 input, as its ModelConfig says: decode, resize
// (letterbox, stretch or crop, bilinear), reorder the channels, normalise, lay out NCHW or NHWC.
// Pure and thread-safe; SkiaSharp does the decoding and the resampling (README, "Images in").
// The header is read first and the frame refused by its dimensions before a pixel is decoded.
public static class FramePreprocessor
{
    // The grey YOLO-style letterboxes pad with, before normalisation.
    public const byte Pad = 114;

    // One small PNG through the whole path, off any actor's thread at host start, so SkiaSharp's
    // native library and this code's JIT are not paid by the first camera frame a worker decodes.
    public static void WarmUp()
    {
        using var bitmap = new SKBitmap(16, 16);
        bitmap.Erase(new SKColor(90, 120, 150));
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        Prepare(png.ToArray(), new ImagePreprocess([8, 8], ImageModes.Letterbox, ImageColors.Rgb, 1.0 / 255, [0, 0, 0], [1, 1, 1], ImageLayouts.Nchw), ImageSettings.Default);
    }

    // The checks that need only the header (size, format, dimensions): the gateway runs them before
    // it sends a frame on, so an unreadable or oversized one is refused without a trip to a worker.
    public static FrameRefusal? Probe(byte[] image, ImageSettings limits)
    {
        using var data = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(data);
        return Check(image, codec, limits);
    }

    // The tensor a frame becomes, known before it is decoded: [1,C,H,W] or [1,H,W,C].
    public static long[] ShapeOf(ImagePreprocess p) =>
        p.Layout == ImageLayouts.Nchw ? [1, p.Channels, p.Height, p.Width] : [1, p.Height, p.Width, p.Channels];

    private static FrameRefusal? Check(byte[] image, SKCodec? codec, ImageSettings limits)
    {
        if (image.LongLength > limits.MaxBytes)
            return new FrameRefusal($"The image has {image.LongLength} bytes; at most {limits.MaxBytes} are accepted.", true);
        if (codec is null)
            return new FrameRefusal("The body is not a JPEG or PNG image that can be read; send the file's bytes unchanged.", false);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png))
            return new FrameRefusal($"The body is a {codec.EncodedFormat} image; send JPEG or PNG.", false);
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        return w > limits.MaxWidth || h > limits.MaxHeight
            ? new FrameRefusal($"The image is {w}×{h} pixels; at most {limits.MaxWidth}×{limits.MaxHeight} are accepted.", true)
            : null;
    }

    public static (TensorPayload? Tensor, FrameRefusal? Refusal) Prepare(byte[] image, ImagePreprocess p, ImageSettings limits)
    {
        if (image.LongLength > limits.MaxBytes) return (null, Check(image, null, limits));
        using var data = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(data);
        if (Check(image, codec, limits) is { } refusal) return (null, refusal);
        var (w, h) = (codec!.Info.Width, codec.Info.Height);

        // JPEG decodes at 1/2, 1/4 or 1/8 scale for a fraction of the cost (the DCT is scaled);
        // used only when the decoded frame is still no smaller than what the resize needs.
        var scale = p.Mode == ImageModes.Letterbox ? Math.Min((double)p.Width / w, (double)p.Height / h) : Math.Max((double)p.Width / w, (double)p.Height / h);
        var size = new SKSizeI(w, h);
        if (scale < 1 && codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
        {
            var scaled = codec.GetScaledDimensions((float)scale);
            if (scaled.Width >= Math.Ceiling(w * scale) && scaled.Height >= Math.Ceiling(h * scale)) size = scaled;
        }
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            return (null, new FrameRefusal($"The {codec.EncodedFormat} image could not be decoded ({result}); it is truncated or corrupt.", false));

        var (source, target) = Geometry(p, size.Width, size.Height);
        using var whole = decoded.PeekPixels();
        using var region = whole.ExtractSubset(source) ?? throw new InvalidOperationException("The crop lies outside the frame.");
        using var resized = new SKBitmap(new SKImageInfo(target.Width, target.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var into = resized.PeekPixels();
        if (source.Width == target.Width && source.Height == target.Height ? !region.ReadPixels(into) : !region.ScalePixels(into, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)))
            return (null, new FrameRefusal("The image could not be resized.", false));
        return (Tensor(p, into.GetPixelSpan(), target), null);
    }

    // Which part of the decoded frame is used, and where in the model's input it lands.
    internal static (SKRectI Source, SKRectI Target) Geometry(ImagePreprocess p, int w, int h)
    {
        switch (p.Mode)
        {
            case ImageModes.Letterbox:
            {
                var r = Math.Min((double)p.Width / w, (double)p.Height / h);
                var (nw, nh) = (Math.Clamp((int)Math.Round(w * r), 1, p.Width), Math.Clamp((int)Math.Round(h * r), 1, p.Height));
                var (dx, dy) = ((p.Width - nw) / 2, (p.Height - nh) / 2);
                return (new SKRectI(0, 0, w, h), new SKRectI(dx, dy, dx + nw, dy + nh));
            }
            case ImageModes.Crop:
            {
                var r = Math.Max((double)p.Width / w, (double)p.Height / h);
                var (cw, ch) = (Math.Clamp((int)Math.Round(p.Width / r), 1, w), Math.Clamp((int)Math.Round(p.Height / r), 1, h));
                var (sx, sy) = ((w - cw) / 2, (h - ch) / 2);
                return (new SKRectI(sx, sy, sx + cw, sy + ch), new SKRectI(0, 0, p.Width, p.Height));
            }
            default:
                return (new SKRectI(0, 0, w, h), new SKRectI(0, 0, p.Width, p.Height));
        }
    }

    // RGBA bytes of the placed region to the normalised float tensor; outside it, the pad grey.
    private static TensorPayload Tensor(ImagePreprocess p, ReadOnlySpan<byte> rgba, SKRectI at)
    {
        var (c, height, width) = (p.Channels, p.Height, p.Width);
        var bytes = new byte[(long)c * height * width * sizeof(float)];
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        Span<float> a = stackalloc float[c], b = stackalloc float[c];
        for (var k = 0; k < c; k++)
        {
            a[k] = (float)(p.Scale / p.Std[k]);
            b[k] = (float)(-p.Mean[k] / p.Std[k]);
        }
        var nchw = p.Layout == ImageLayouts.Nchw;
        var plane = height * width;
        for (var k = 0; k < c; k++)
        {
            var pad = Pad * a[k] + b[k];
            if (nchw) values.Slice(k * plane, plane).Fill(pad);
            else for (var i = k; i < values.Length; i += c) values[i] = pad;
        }
        var gray = p.Color == ImageColors.Gray;
        var bgr = p.Color == ImageColors.Bgr;
        var rowBytes = at.Width * 4;
        for (var y = 0; y < at.Height; y++)
        {
            var row = rgba.Slice(y * rowBytes, rowBytes);
            var pixel = (at.Top + y) * width + at.Left;
            for (var x = 0; x < at.Width; x++, pixel++)
            {
                float r = row[x * 4], g = row[x * 4 + 1], bl = row[x * 4 + 2];
                if (gray)
                {
                    values[pixel] = (0.299f * r + 0.587f * g + 0.114f * bl) * a[0] + b[0];
                    continue;
                }
                var (c0, c2) = bgr ? (bl, r) : (r, bl);
                if (nchw)
                {
                    values[pixel] = c0 * a[0] + b[0];
                    values[plane + pixel] = g * a[1] + b[1];
                    values[2 * plane + pixel] = c2 * a[2] + b[2];
                }
                else
                {
                    values[pixel * 3] = c0 * a[0] + b[0];
                    values[pixel * 3 + 1] = g * a[1] + b[1];
                    values[pixel * 3 + 2] = c2 * a[2] + b[2];
                }
            }
        }
        return new TensorPayload(TensorTypes.Float32, ShapeOf(p), bytes);
    }
}
