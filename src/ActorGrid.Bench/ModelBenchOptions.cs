using System.Globalization;

namespace ActorGrid.Bench;

// `actorgrid-bench inference --model <file.onnx> --shape 1x3x640x640 [--image <file.jpg>]`: any
// real model against raw ONNX Runtime (ModelFileBenchmark). Shape takes 'x' or ',' between dims.
public sealed record ModelBenchOptions(string Model, long[] Shape, string? Image, int Requests)
{
    public const string Usage = """
        actorgrid-bench inference --model <file.onnx> --shape 1x3x640x640 [--image <file.jpg>] [--requests N]
          the model's first input, float32 of that shape, through raw ONNX Runtime in-process (default
          session options) and through an embedded grid's gateway as binary; with --image, the frame
          through the gateway as image/jpeg (decoded and preprocessed on the worker, letterboxed to the
          shape's height and width) and decoded by the client then sent as binary. p50/p99 and ratios.
          --requests N   sequential requests per path after 10 warm-up ones (default 100)
        """;

    public static bool Wants(string[] args) => args.Contains("--model");

    public static ModelBenchOptions? Parse(string[] args)
    {
        string? model = null, image = null;
        long[]? shape = null;
        var requests = 100;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--model": model = value; break;
                case "--image": image = value; break;
                case "--shape": shape = ParseShape(value); break;
                case "--requests" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0: requests = n; break;
                default: return null;
            }
        }
        if (args.Length % 2 != 0 || model is null || shape is null) return null;
        return new ModelBenchOptions(model, shape, image, requests);
    }

    private static long[]? ParseShape(string text)
    {
        var dims = text.Split(['x', 'X', ','], StringSplitOptions.TrimEntries);
        var parsed = dims.Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : -1).ToArray();
        return parsed.Length > 0 && parsed.All(d => d > 0) ? parsed : null;
    }
}
