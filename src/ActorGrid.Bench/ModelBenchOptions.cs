using System.Globalization;

namespace ActorGrid.Bench;

// `actorgrid-bench inference --model <file.onnx> --shape 1x3x640x640 [--image <file.jpg>]`: any
// real model against raw ONNX Runtime (ModelFileBenchmark); parsed by InferenceCommand. Shape takes
// 'x' or ',' between dims.
// TwoHosts: also (d), a gateway host and a worker host (unless --no-two-hosts).
public sealed record ModelBenchOptions(string Model, long[] Shape, string? Image, int Requests, bool TwoHosts = true)
{
    public static long[]? ParseShape(string text)
    {
        var dims = text.Split(['x', 'X', ','], StringSplitOptions.TrimEntries);
        var parsed = dims.Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1).ToArray();
        return parsed.Length > 0 && parsed.All(d => d > 0) ? parsed : null;
    }
}
