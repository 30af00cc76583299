using System.Globalization;
using ActorGrid.Protocol.Models;

namespace ActorGrid.Worker.Inference.Images;

// The config part of a model upload as the client wrote it: every field may be missing.
public sealed record ModelConfigDraft(string? Input, ImagePreprocessDraft? Preprocess, string[]? Labels, string? Postprocess);

public sealed record ImagePreprocessDraft(int[]? Resize, string? Mode, string? Color, double? Scale, double[]? Mean, double[]? Std, string? Layout);

// A draft checked against the model's signature and resolved: the defaults filled in from the
// input's shape, or a sentence that names the field and says what to put there instead.
public static class ModelConfigRules
{
    public static (ModelConfig? Config, string? Error) Resolve(ModelConfigDraft draft, ModelSignature signature)
    {
        var inputs = string.Join(", ", signature.Inputs.Select(i => $"{i.Name} {Shape(i.Shape)}"));
        TensorSpec input;
        if (draft.Input is { } named)
        {
            if (signature.Inputs.FirstOrDefault(i => i.Name == named) is not { } found)
                return Fail($"config.input '{named}' is not an input of the model; its inputs are: {inputs}.");
            input = found;
        }
        else if (signature.Inputs.Count == 1) input = signature.Inputs[0];
        else return Fail($"config.input is missing and the model has {signature.Inputs.Count} inputs; name the one the image feeds ({inputs}).");
        if (input.Type != TensorTypes.Float32)
            return Fail($"config.input '{input.Name}' is {input.Type}; images can only feed a float32 input.");
        if (input.Shape.Count != 4)
            return Fail($"config.input '{input.Name}' has shape {Shape(input.Shape)}; an image needs a 4-dimensional input (NCHW or NHWC).");
        if (input.Shape[0] > 1)
            return Fail($"config.input '{input.Name}' has a fixed batch of {input.Shape[0]}; one frame is sent at a time, so its first dimension must be 1 or dynamic.");

        var p = draft.Preprocess ?? new ImagePreprocessDraft(null, null, null, null, null, null, null);
        var layout = p.Layout ?? ImageLayouts.Nchw;
        if (!ImageLayouts.All.Contains(layout)) return Fail($"config.preprocess.layout '{layout}' is not one of {string.Join(", ", ImageLayouts.All)}.");
        var color = p.Color ?? ImageColors.Rgb;
        if (!ImageColors.All.Contains(color)) return Fail($"config.preprocess.color '{color}' is not one of {string.Join(", ", ImageColors.All)}.");
        var mode = p.Mode ?? ImageModes.Letterbox;
        if (!ImageModes.All.Contains(mode)) return Fail($"config.preprocess.mode '{mode}' is not one of {string.Join(", ", ImageModes.All)}.");

        var (cDim, hDim, wDim) = layout == ImageLayouts.Nchw ? (1, 2, 3) : (3, 1, 2);
        var channels = color == ImageColors.Gray ? 1 : 3;
        if (input.Shape[cDim] > 0 && input.Shape[cDim] != channels)
            return Fail($"config.preprocess.color '{color}' gives {channels} channel(s) but input '{input.Name}' {Shape(input.Shape)} has {input.Shape[cDim]} at dimension {cDim} for layout {layout}; "
                + (input.Shape[cDim] is 1 or 3 ? $"use color {(input.Shape[cDim] == 1 ? "gray" : "rgb or bgr")}" : "check the layout") + ".");
        var (fixedH, fixedW) = (input.Shape[hDim], input.Shape[wDim]);
        int[] resize;
        if (p.Resize is { } r)
        {
            if (r.Length != 2 || r.Any(d => d is < 1 or > 16384))
                return Fail("config.preprocess.resize must be [height, width] with each between 1 and 16384.");
            if ((fixedH > 0 && fixedH != r[0]) || (fixedW > 0 && fixedW != r[1]))
                return Fail($"config.preprocess.resize [{r[0]},{r[1]}] does not match input '{input.Name}' {Shape(input.Shape)}; use [{(fixedH > 0 ? fixedH : r[0])},{(fixedW > 0 ? fixedW : r[1])}] ([height, width]).");
            resize = r;
        }
        else if (fixedH > 0 && fixedW > 0) resize = [(int)fixedH, (int)fixedW];
        else return Fail($"config.preprocess.resize is missing and input '{input.Name}' {Shape(input.Shape)} has a dynamic height or width; give [height, width].");

        var scale = p.Scale ?? 1.0 / 255;
        if (!double.IsFinite(scale) || scale <= 0) return Fail($"config.preprocess.scale must be a positive number, e.g. 0.00392156862745098 (1/255), not {scale.ToString(CultureInfo.InvariantCulture)}.");
        var mean = p.Mean ?? [.. Enumerable.Repeat(0.0, channels)];
        if (mean.Length != channels) return Fail($"config.preprocess.mean has {mean.Length} value(s) but color '{color}' gives {channels} channel(s); give one per channel.");
        var std = p.Std ?? [.. Enumerable.Repeat(1.0, channels)];
        if (std.Length != channels) return Fail($"config.preprocess.std has {std.Length} value(s) but color '{color}' gives {channels} channel(s); give one per channel.");
        if (mean.Concat(std).Any(v => !double.IsFinite(v)) || std.Any(v => v == 0))
            return Fail("config.preprocess.mean and std must be finite numbers, and std must not be 0.");

        var output = signature.Outputs.FirstOrDefault();
        if (draft.Labels is { } labels)
        {
            if (labels.Length == 0 || labels.Any(string.IsNullOrWhiteSpace))
                return Fail("config.labels must be a non-empty list of non-empty names, one per class of the first output.");
            if (output is not null && ClassCount(output) is { } classes && classes != labels.Length)
                return Fail($"config.labels has {labels.Length} name(s) but output '{output.Name}' {Shape(output.Shape)} has {classes} classes; give one label per class.");
        }
        var post = draft.Postprocess ?? (draft.Labels is null ? Postprocessing.None : Postprocessing.SoftmaxTop1);
        if (!Postprocessing.All.Contains(post)) return Fail($"config.postprocess '{post}' is not one of {string.Join(", ", Postprocessing.All)}.");
        if (post != Postprocessing.None && output?.Type != TensorTypes.Float32)
            return Fail($"config.postprocess '{post}' reads the first output's float32 scores, but the model's first output is {output?.Type ?? "missing"}; use none.");

        return (new ModelConfig(input.Name, new ImagePreprocess(resize, mode, color, scale, mean, std, layout), draft.Labels, post), null);
    }

    // The class dimension of [N, K] or [K], when the model fixes it.
    private static long? ClassCount(TensorSpec output) => output.Shape.Count switch
    {
        1 when output.Shape[0] > 0 => output.Shape[0],
        2 when output.Shape[1] > 0 => output.Shape[1],
        _ => null,
    };

    private static (ModelConfig?, string?) Fail(string error) => (null, error);

    private static string Shape(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";
}
