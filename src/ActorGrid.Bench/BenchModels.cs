using static ActorGrid.Runtime.Tests.Inference.Onnx.OnnxProto;

namespace ActorGrid.Bench;

// Models for the batching comparison, written with the test suite's ONNX writer (no downloads).
// The tests' tiny classifier spends ~10 µs per image in ONNX Runtime, so under any load the HTTP
// path dominates and batching has nothing to amortise. A camera-frame classifier is different:
// two strided convolutions and then a wide dense layer whose weights (32 MiB) are read once per
// run. One image per run is a matrix-vector product bound by memory; eight stacked images read
// the weights once for all eight — the reason batching pays on a CPU at all.
public static class BenchModels
{
    public const int FrameSize = 64;
    public const int FrameClasses = 3;
    private const int C1 = 16, C2 = 32;
    private const int Hidden = 1024;

    // image float32 [N,3,64,64] → Conv 3x3/2 (16) → Relu → Conv 3x3/2 (32) → Relu → Flatten (8192)
    // → Gemm (8192 → 1024) → Relu → Gemm (1024 → 3) → Softmax → probs [N,3]. ~1.7 ms per image alone,
    // ~0.8 ms per image in a batch of 8, on one core of the 2-core machine this was written on.
    public static byte[] FrameClassifier()
    {
        var flat = C2 * (FrameSize / 4) * (FrameSize / 4);
        var strided = new[] { new Attr("kernel_shape", Ints: [3, 3]), new Attr("pads", Ints: [1, 1, 1, 1]), new Attr("strides", Ints: [2, 2]) };
        return Model(
            [
                new OpNode("Conv", ["image", "c1_w", "c1_b"], ["c1"], strided),
                new OpNode("Relu", ["c1"], ["r1"]),
                new OpNode("Conv", ["r1", "c2_w", "c2_b"], ["c2"], strided),
                new OpNode("Relu", ["c2"], ["r2"]),
                new OpNode("Flatten", ["r2"], ["flat"], new Attr("axis", Int: 1)),
                new OpNode("Gemm", ["flat", "fc1_w", "fc1_b"], ["fc1"]),
                new OpNode("Relu", ["fc1"], ["r3"]),
                new OpNode("Gemm", ["r3", "fc2_w", "fc2_b"], ["logits"]),
                new OpNode("Softmax", ["logits"], ["probs"], new Attr("axis", Int: 1)),
            ],
            [
                new Initializer("c1_w", [C1, 3, 3, 3], Weights(C1 * 3 * 9, 1, 0.2f)),
                new Initializer("c1_b", [C1], Weights(C1, 2, 0.05f)),
                new Initializer("c2_w", [C2, C1, 3, 3], Weights(C2 * C1 * 9, 3, 0.1f)),
                new Initializer("c2_b", [C2], Weights(C2, 4, 0.05f)),
                new Initializer("fc1_w", [flat, Hidden], Weights(flat * Hidden, 5, 0.02f)),
                new Initializer("fc1_b", [Hidden], Weights(Hidden, 6, 0.05f)),
                new Initializer("fc2_w", [Hidden, FrameClasses], Weights(Hidden * FrameClasses, 7, 0.1f)),
                new Initializer("fc2_b", [FrameClasses], Weights(FrameClasses, 8, 0.05f)),
            ],
            [new ValueInfo("image", Float, [new Dim(Param: "N"), new Dim(3), new Dim(FrameSize), new Dim(FrameSize)])],
            [new ValueInfo("probs", Float, [new Dim(Param: "N"), new Dim(FrameClasses)])]);
    }

    private static float[] Weights(int count, int seed, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
    }
}
