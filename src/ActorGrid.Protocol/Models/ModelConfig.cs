using System.Text.Json.Serialization;

namespace ActorGrid.Protocol.Models;

// What a model version needs to take a camera frame instead of a tensor: which input the frame
// feeds, how to turn the image into that input, and how to read a label off its first output.
// Stored resolved (every default filled in from the model's signature) with the version, so the
// GET shows exactly what the preprocessor does.
public sealed record ModelConfig(string Input, ImagePreprocess Preprocess, IReadOnlyList<string>? Labels, string Postprocess);

// Resize is [height, width], the order the input's shape has them in. Mode: letterbox (fit,
// pad with 114 grey), stretch (ignore the aspect ratio) or crop (fill, cut the centre).
// Color: rgb, bgr or gray (one channel, BT.601 luma). Each value becomes (v * Scale - Mean[c]) / Std[c].
public sealed record ImagePreprocess(
    IReadOnlyList<int> Resize, string Mode, string Color, double Scale, IReadOnlyList<double> Mean, IReadOnlyList<double> Std, string Layout)
{
    [JsonIgnore] public int Height => Resize[0];
    [JsonIgnore] public int Width => Resize[1];
    [JsonIgnore] public int Channels => Color == ImageColors.Gray ? 1 : 3;
}

public static class ImageModes
{
    public const string Letterbox = "letterbox", Stretch = "stretch", Crop = "crop";
    public static readonly IReadOnlyList<string> All = [Letterbox, Stretch, Crop];
}

public static class ImageColors
{
    public const string Rgb = "rgb", Bgr = "bgr", Gray = "gray";
    public static readonly IReadOnlyList<string> All = [Rgb, Bgr, Gray];
}

public static class ImageLayouts
{
    public const string Nchw = "nchw", Nhwc = "nhwc";
    public static readonly IReadOnlyList<string> All = [Nchw, Nhwc];
}

public static class Postprocessing
{
    public const string SoftmaxTop1 = "softmax-top1", Argmax = "argmax", None = "none";
    public static readonly IReadOnlyList<string> All = [SoftmaxTop1, Argmax, None];
}
