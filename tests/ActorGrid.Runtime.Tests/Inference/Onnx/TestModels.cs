using static ActorGrid.Runtime.Tests.Inference.Onnx.OnnxProto;

namespace ActorGrid.Runtime.Tests.Inference.Onnx;

// The models the inference tests and benchmarks use, generated in memory, with a reference
// implementation in plain C# for each so expected outputs never come from ONNX Runtime itself.
public static class TestModels
{
    // y = x * 2 + 1 over x: float32 [N, 4], N dynamic.
    public static byte[] Elementwise() => Model(
        [
            new OpNode("Mul", ["x", "two"], ["doubled"]),
            new OpNode("Add", ["doubled", "one"], ["y"]),
        ],
        [new Initializer("two", [], [2f]), new Initializer("one", [], [1f])],
        [new ValueInfo("x", Float, [new Dim(Param: "N"), new Dim(4)])],
        [new ValueInfo("y", Float, [new Dim(Param: "N"), new Dim(4)])]);

    public static float[] ElementwiseReference(float[] x) => [.. x.Select(v => v * 2 + 1)];

    // y = x, x and x stacked on the batch axis: float32 [N, 4] → [3N, 4], an answer three times
    // the size of its request.
    public static byte[] Tripler() => Model(
        [new OpNode("Concat", ["x", "x", "x"], ["y"], new Attr("axis", Int: 0))],
        [],
        [new ValueInfo("x", Float, [new Dim(Param: "N"), new Dim(4)])],
        [new ValueInfo("y", Float, [new Dim(Param: "M"), new Dim(4)])]);

    public static float[] TriplerReference(float[] x) => [.. x, .. x, .. x];

    // a + b with both shapes dynamic: feeding [1,2] and [1,3] passes the signature check and
    // makes ONNX Runtime throw at run time, the way a broken model would.
    public static byte[] Faulty() => Model(
        [new OpNode("Add", ["a", "b"], ["sum"])],
        [],
        [new ValueInfo("a", Float, [new Dim(Param: "N"), new Dim(Param: "K")]), new ValueInfo("b", Float, [new Dim(Param: "N"), new Dim(Param: "M")])],
        [new ValueInfo("sum", Float, [new Dim(Param: "N"), new Dim(Param: "P")])]);

    public const int Channels = 3;
    public const int Filters = 4;
    public const int Classes = 3;

    // A tiny gauge classifier: image float32 [N, 3, S, S] → Conv 3x3 (4 filters, pad 1) → Relu →
    // GlobalAveragePool → Flatten → Gemm (4 → 3) → Softmax → probs [N, 3].
    public static byte[] ConvClassifier(int size = 8) => Model(
        [
            new OpNode("Conv", ["image", "conv_w", "conv_b"], ["conv"], new Attr("kernel_shape", Ints: [3, 3]), new Attr("pads", Ints: [1, 1, 1, 1])),
            new OpNode("Relu", ["conv"], ["relu"]),
            new OpNode("GlobalAveragePool", ["relu"], ["pooled"]),
            new OpNode("Flatten", ["pooled"], ["flat"], new Attr("axis", Int: 1)),
            new OpNode("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
            new OpNode("Softmax", ["logits"], ["probs"], new Attr("axis", Int: 1)),
        ],
        [
            new Initializer("conv_w", [Filters, Channels, 3, 3], ConvWeights()),
            new Initializer("conv_b", [Filters], ConvBias()),
            new Initializer("fc_w", [Filters, Classes], FcWeights()),
            new Initializer("fc_b", [Classes], FcBias()),
        ],
        [new ValueInfo("image", Float, [new Dim(Param: "N"), new Dim(Channels), new Dim(size), new Dim(size)])],
        [new ValueInfo("probs", Float, [new Dim(Param: "N"), new Dim(Classes)])]);

    public static float[] ConvWeights() =>
        [.. Enumerable.Range(0, Filters * Channels * 9).Select(i => ((i * 7) % 11 - 5) / 10f)];

    public static float[] ConvBias() => [.. Enumerable.Range(0, Filters).Select(k => 0.1f * (k - 1.5f))];

    public static float[] FcWeights() => [.. Enumerable.Range(0, Filters * Classes).Select(i => ((i * 3) % 7 - 3) / 5f)];

    public static float[] FcBias() => [0.05f, -0.1f, 0.2f];

    // The classifier computed directly from its definition, in double precision.
    public static float[] ConvClassifierReference(float[] images, int n, int size)
    {
        var w = ConvWeights();
        var b = ConvBias();
        var fw = FcWeights();
        var fb = FcBias();
        var result = new float[n * Classes];
        for (var img = 0; img < n; img++)
        {
            var pooled = new double[Filters];
            for (var k = 0; k < Filters; k++)
            {
                double sum = 0;
                for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                {
                    double acc = b[k];
                    for (var c = 0; c < Channels; c++)
                    for (var dy = -1; dy <= 1; dy++)
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
                        acc += w[((k * Channels + c) * 3 + dy + 1) * 3 + dx + 1] * images[((img * Channels + c) * size + yy) * size + xx];
                    }
                    sum += Math.Max(0, acc);
                }
                pooled[k] = sum / (size * size);
            }
            var logits = new double[Classes];
            for (var j = 0; j < Classes; j++)
            {
                logits[j] = fb[j];
                for (var k = 0; k < Filters; k++) logits[j] += pooled[k] * fw[k * Classes + j];
            }
            var max = logits.Max();
            var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
            var total = exp.Sum();
            for (var j = 0; j < Classes; j++) result[img * Classes + j] = (float)(exp[j] / total);
        }
        return result;
    }

    // Deterministic pseudo-images: varied enough that the classes differ between images.
    public static float[] Images(int n, int size, int seed = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n * Channels * size * size).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
