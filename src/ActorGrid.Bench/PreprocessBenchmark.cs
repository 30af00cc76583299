using System.Diagnostics;
using System.Runtime.InteropServices;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference.Images;
using OpenCvSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SkiaSharp;

namespace ActorGrid.Bench;

// `actorgrid-bench preprocess [runs]`: a 1920×1080 JPEG of a synthetic scene to a 640×640
// letterboxed, ImageNet-normalised float32 NCHW tensor, by each candidate decoder. Each does its
// own decode and resize (bilinear); the float conversion is one shared loop, so the figures
// compare the libraries. Single frame at a time, as a gateway handles one request.
public static class PreprocessBenchmark
{
    private const int Side = 640;
    private static readonly ImagePreprocess Letterbox = new([Side, Side], ImageModes.Letterbox, ImageColors.Rgb, 1.0 / 255,
        [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], ImageLayouts.Nchw);

    public static int Run(int runs, TextWriter output)
    {
        var jpeg = Scene(1920, 1080);
        output.WriteLine($"preprocess: 1920×1080 JPEG ({jpeg.Length / 1024} KiB, synthetic scene) → 640×640 letterbox, mean/std, float32 NCHW; {runs} runs after 5 warm-up, {Environment.ProcessorCount} cores");
        var candidates = new (string Name, Func<byte[], float[]> Prepare)[]
        {
            ("SkiaSharp 3.119.4 (product: FramePreprocessor, JPEG decoded at 1/2 scale)", Product),
            ("SkiaSharp 3.119.4 (full decode)", SkiaFull),
            ("SixLabors.ImageSharp 2.1.13", ImageSharp),
            ("OpenCvSharp4 4.13.0 (full decode)", img => OpenCv(img, ImreadModes.Color)),
            ("OpenCvSharp4 4.13.0 (ImreadModes.ReducedColor2)", img => OpenCv(img, ImreadModes.ReducedColor2)),
        };
        var results = new List<(string Name, double P50, double P99, double Mean)>();
        foreach (var (name, prepare) in candidates)
        {
            float[] tensor = [];
            try
            {
                for (var i = 0; i < 5; i++) tensor = prepare(jpeg);
            }
            catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or BadImageFormatException)
            {
                output.WriteLine($"  {name}: native library did not load here ({ex.GetBaseException().Message})");
                continue;
            }
            var times = new List<double>(runs);
            for (var i = 0; i < runs; i++)
            {
                var started = Stopwatch.GetTimestamp();
                tensor = prepare(jpeg);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            results.Add((name, Percentiles.Of(times, 50), Percentiles.Of(times, 99), tensor.Average()));
        }
        var best = results.Min(r => r.P50);
        output.WriteLine($"  {"decoder",-68} {"p50 ms",8} {"p99 ms",8} {"× best",7} {"tensor mean",12}");
        foreach (var r in results)
            output.WriteLine($"  {r.Name,-68} {r.P50,8:0.00} {r.P99,8:0.00} {r.P50 / best,7:0.00} {r.Mean,12:0.0000}");
        return 0;
    }

    // A production-line-like frame: a gradient belt, parts on it, and sensor noise, so the JPEG
    // has the entropy of a photo rather than of a flat fill.
    public static byte[] Scene(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var belt = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [new SKColor(30, 40, 50), new SKColor(120, 130, 140), new SKColor(60, 50, 40)], SKShaderTileMode.Clamp) };
            canvas.DrawRect(0, 0, width, height, belt);
            var random = new Random(7);
            using var part = new SKPaint { IsAntialias = true };
            for (var i = 0; i < 40; i++)
            {
                part.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                if (i % 2 == 0) canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(20, 160), part);
                else canvas.DrawRect(random.Next(width), random.Next(height), random.Next(40, 300), random.Next(40, 300), part);
            }
        }
        var pixels = bitmap.GetPixelSpan();
        var noise = new Random(11);
        var bytes = MemoryMarshal.Cast<byte, byte>(pixels).ToArray();
        for (var i = 0; i < bytes.Length; i++) if (i % 4 != 3) bytes[i] = (byte)Math.Clamp(bytes[i] + noise.Next(-12, 13), 0, 255);
        Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private static float[] Product(byte[] jpeg) =>
        MemoryMarshal.Cast<byte, float>(FramePreprocessor.Prepare(jpeg, Letterbox, ImageSettings.Default).Tensor!.Data).ToArray();

    private static (int W, int H) Fit(int w, int h)
    {
        var r = Math.Min((double)Side / w, (double)Side / h);
        return ((int)Math.Round(w * r), (int)Math.Round(h * r));
    }

    private static float[] SkiaFull(byte[] jpeg)
    {
        using var decoded = SKBitmap.Decode(jpeg, new SKImageInfo(1920, 1080, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var (nw, nh) = Fit(decoded.Width, decoded.Height);
        using var resized = new SKBitmap(new SKImageInfo(nw, nh, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        decoded.ScalePixels(resized, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        return Normalise(resized.GetPixelSpan(), 4, 0, 2, nw, nh);
    }

    private static float[] ImageSharp(byte[] jpeg)
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(jpeg);
        var (nw, nh) = Fit(image.Width, image.Height);
        image.Mutate(x => x.Resize(nw, nh, KnownResamplers.Triangle));
        var pixels = new byte[nw * nh * 3];
        image.CopyPixelDataTo(pixels);
        return Normalise(pixels, 3, 0, 2, nw, nh);
    }

    private static float[] OpenCv(byte[] jpeg, ImreadModes mode)
    {
        using var decoded = Cv2.ImDecode(jpeg, mode);
        var (nw, nh) = Fit(decoded.Width, decoded.Height);
        using var resized = new Mat();
        Cv2.Resize(decoded, resized, new OpenCvSharp.Size(nw, nh), interpolation: InterpolationFlags.Linear);
        var pixels = new byte[nw * nh * 3];
        Marshal.Copy(resized.Data, pixels, 0, pixels.Length);
        return Normalise(pixels, 3, 2, 0, nw, nh);
    }

    // The shared part: packed 8-bit pixels placed at the letterbox offset, the rest pad grey.
    private static float[] Normalise(ReadOnlySpan<byte> pixels, int stride, int red, int blue, int nw, int nh)
    {
        var tensor = new float[3 * Side * Side];
        var plane = Side * Side;
        Span<float> a = stackalloc float[3], b = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            a[c] = (float)(Letterbox.Scale / Letterbox.Std[c]);
            b[c] = (float)(-Letterbox.Mean[c] / Letterbox.Std[c]);
            tensor.AsSpan(c * plane, plane).Fill(FramePreprocessor.Pad * a[c] + b[c]);
        }
        var (dx, dy) = ((Side - nw) / 2, (Side - nh) / 2);
        for (var y = 0; y < nh; y++)
        for (var x = 0; x < nw; x++)
        {
            var p = (y * nw + x) * stride;
            var at = (y + dy) * Side + x + dx;
            tensor[at] = pixels[p + red] * a[0] + b[0];
            tensor[plane + at] = pixels[p + 1] * a[1] + b[1];
            tensor[2 * plane + at] = pixels[p + blue] * a[2] + b[2];
        }
        return tensor;
    }
}
