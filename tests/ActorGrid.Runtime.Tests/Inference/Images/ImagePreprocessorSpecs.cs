using System.Runtime.InteropServices;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference.Images;
using static ActorGrid.Runtime.Tests.Inference.Images.TestImages;

namespace ActorGrid.Runtime.Tests.Inference.Images;

// FramePreprocessor against values computed here from the pixels the test wrote itself.
public class ImagePreprocessorSpecs
{
    private static readonly double[] ImageNetMean = [0.485, 0.456, 0.406], ImageNetStd = [0.229, 0.224, 0.225];

    private static ImagePreprocess Config(int h, int w, string mode = ImageModes.Stretch, string color = ImageColors.Rgb, string layout = ImageLayouts.Nchw,
        double[]? mean = null, double[]? std = null)
    {
        var c = color == ImageColors.Gray ? 1 : 3;
        return new ImagePreprocess([h, w], mode, color, 1.0 / 255, mean ?? [.. Enumerable.Repeat(0.0, c)], std ?? [.. Enumerable.Repeat(1.0, c)], layout);
    }

    private static float[] Run(byte[] image, ImagePreprocess p, out long[] shape)
    {
        var (tensor, refusal) = FramePreprocessor.Prepare(image, p, ImageSettings.Default);
        Assert.Null(refusal);
        shape = [.. tensor!.Shape];
        return MemoryMarshal.Cast<byte, float>(tensor.Data).ToArray();
    }

    private static byte Channel((byte R, byte G, byte B) px, int c) => c switch { 0 => px.R, 1 => px.G, _ => px.B };

    [Fact]
    public void Should_normalise_each_channel_with_mean_and_std_in_nchw()
    {
        var got = Run(Png(8, 8, Pattern), Config(8, 8, mean: ImageNetMean, std: ImageNetStd), out var shape);

        Assert.Equal([1L, 3, 8, 8], shape);
        for (var c = 0; c < 3; c++)
        for (var y = 0; y < 8; y++)
        for (var x = 0; x < 8; x++)
            Assert.Equal(Normalised(Channel(Pattern(x, y), c), ImageNetMean[c], ImageNetStd[c]), got[(c * 8 + y) * 8 + x], 1e-5f);
    }

    [Fact]
    public void Should_swap_to_bgr_and_interleave_for_nhwc()
    {
        var got = Run(Png(6, 4, Pattern), Config(4, 6, color: ImageColors.Bgr, layout: ImageLayouts.Nhwc), out var shape);

        Assert.Equal([1L, 4, 6, 3], shape);
        for (var y = 0; y < 4; y++)
        for (var x = 0; x < 6; x++)
        {
            var (r, g, b) = Pattern(x, y);
            Assert.Equal(b / 255f, got[(y * 6 + x) * 3], 1e-6f);
            Assert.Equal(g / 255f, got[(y * 6 + x) * 3 + 1], 1e-6f);
            Assert.Equal(r / 255f, got[(y * 6 + x) * 3 + 2], 1e-6f);
        }
    }

    [Fact]
    public void Should_turn_colour_into_bt601_luma_for_gray()
    {
        var got = Run(Png(5, 5, Pattern), Config(5, 5, color: ImageColors.Gray, mean: [0.5], std: [0.25]), out var shape);

        Assert.Equal([1L, 1, 5, 5], shape);
        for (var y = 0; y < 5; y++)
        for (var x = 0; x < 5; x++)
        {
            var (r, g, b) = Pattern(x, y);
            Assert.Equal((float)(((0.299 * r + 0.587 * g + 0.114 * b) / 255 - 0.5) / 0.25), got[y * 5 + x], 1e-4f);
        }
    }

    [Fact]
    public void Should_stretch_a_frame_down_to_the_input_size()
    {
        var got = Run(Png(16, 16, Blocks), Config(8, 8), out _);

        for (var c = 0; c < 3; c++)
        for (var y = 0; y < 8; y++)
        for (var x = 0; x < 8; x++)
            Assert.Equal(Channel(Pattern(x, y), c) / 255f, got[(c * 8 + y) * 8 + x], 1e-6f);
    }

    [Fact]
    public void Should_letterbox_a_wide_frame_centred_between_grey_bands()
    {
        // 16×8 → 8×8: scaled by ½ to 8×4, placed at rows 2-5; rows 0-1 and 6-7 are the pad grey.
        var got = Run(Png(16, 8, Blocks), Config(8, 8, ImageModes.Letterbox, mean: ImageNetMean, std: ImageNetStd), out _);

        for (var c = 0; c < 3; c++)
        for (var y = 0; y < 8; y++)
        for (var x = 0; x < 8; x++)
        {
            var expected = y is >= 2 and < 6
                ? Normalised(Channel(Pattern(x, y - 2), c), ImageNetMean[c], ImageNetStd[c])
                : Normalised(114, ImageNetMean[c], ImageNetStd[c]);
            Assert.Equal(expected, got[(c * 8 + y) * 8 + x], 1e-5f);
        }
    }

    [Fact]
    public void Should_crop_the_centre_of_a_tall_frame()
    {
        // 8×12 → 8×8: already as wide as the input, so rows 2-9 are cut out unscaled.
        var got = Run(Png(8, 12, Pattern), Config(8, 8, ImageModes.Crop), out _);

        for (var c = 0; c < 3; c++)
        for (var y = 0; y < 8; y++)
        for (var x = 0; x < 8; x++)
            Assert.Equal(Channel(Pattern(x, y + 2), c) / 255f, got[(c * 8 + y) * 8 + x], 1e-6f);
    }

    [Fact]
    public void Should_refuse_a_decompression_bomb_by_its_header()
    {
        // 60000×60000 RGBA would be 14 GB decoded; the file is under 100 bytes.
        var bomb = Bomb(60_000, 60_000);
        Assert.True(bomb.Length < 100);

        var (tensor, refusal) = FramePreprocessor.Prepare(bomb, Config(8, 8), ImageSettings.Default);

        Assert.Null(tensor);
        Assert.True(refusal!.TooLarge);
        Assert.Contains("60000×60000", refusal.Reason);
    }

    [Fact]
    public void Should_refuse_frames_over_the_byte_and_pixel_limits()
    {
        var limits = new ImageSettings(MaxBytes: 4096, MaxWidth: 32, MaxHeight: 16);

        Assert.True(FramePreprocessor.Prepare(Png(33, 8, Pattern), Config(8, 8), limits).Refusal!.TooLarge);
        Assert.True(FramePreprocessor.Prepare(Png(8, 17, Pattern), Config(8, 8), limits).Refusal!.TooLarge);
        Assert.True(FramePreprocessor.Prepare(new byte[4097], Config(8, 8), limits).Refusal!.TooLarge);
        Assert.Null(FramePreprocessor.Prepare(Png(32, 16, Pattern), Config(8, 8), limits).Refusal);
    }

    [Fact]
    public void Should_refuse_corrupt_and_truncated_images_as_unreadable()
    {
        var png = Png(16, 16, Pattern);
        var noise = new byte[500];
        new Random(3).NextBytes(noise);

        var garbage = FramePreprocessor.Prepare(noise, Config(8, 8), ImageSettings.Default).Refusal;
        var truncated = FramePreprocessor.Prepare(png[..(png.Length / 2)], Config(8, 8), ImageSettings.Default).Refusal;

        Assert.False(garbage!.TooLarge);
        Assert.Contains("not a JPEG or PNG", garbage.Reason);
        Assert.False(truncated!.TooLarge);
    }
}
