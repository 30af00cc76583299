using System.Runtime.InteropServices;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;

namespace ActorGrid.Worker.Inference.Images;

public sealed record FrameLabel(int Index, string? Label, double Score);

// The postprocess step of a ModelConfig over the first output's first row: softmax-top1 (softmax,
// then the most likely class and its probability) or argmax (the highest raw score).
public static class FrameLabels
{
    public static FrameLabel? Read(ModelConfig config, TensorPayload output)
    {
        if (config.Postprocess == Postprocessing.None || output.Type != TensorTypes.Float32 || output.Data.Length < sizeof(float)) return null;
        var all = MemoryMarshal.Cast<byte, float>(output.Data.AsSpan());
        var classes = output.Shape.Count >= 2 ? (int)output.Shape[^1] : all.Length;
        var row = all[..Math.Min(classes, all.Length)];
        var best = 0;
        for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        double score = row[best];
        if (config.Postprocess == Postprocessing.SoftmaxTop1)
        {
            // exp(x - max) keeps the sum finite; the top class's probability is 1 / Σ exp(x - max).
            var sum = 0.0;
            foreach (var v in row) sum += Math.Exp(v - row[best]);
            score = 1 / sum;
        }
        var label = config.Labels is { } labels && best < labels.Count ? labels[best] : null;
        return new FrameLabel(best, label, score);
    }
}
