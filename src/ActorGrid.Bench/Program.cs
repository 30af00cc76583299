using ActorGrid.Bench;

// Starts a real embedded grid and prints what it measures. Figures, never assertions: the
// machines are shared and noisy, so speed is reported here rather than tested.
if (args.Length > 0 && args[0] == "inference") return await InferenceBenchmark.RunAsync(args[1..]);
// make-model <path> [elementwise|classifier]: writes one of the test suite's generated ONNX models,
// so trying inference needs no download.
if (args.Length is 2 or 3 && args[0] == "make-model")
{
    var kind = args.Length == 3 ? args[2] : "elementwise";
    byte[]? model = kind switch
    {
        "elementwise" => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.Elementwise(),
        "classifier" => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.ConvClassifier(32),
        _ => null,
    };
    if (model is null)
    {
        Console.Error.WriteLine($"Unknown model '{kind}'; use elementwise (y = 2x + 1 over [N,4]) or classifier (image [N,3,32,32] -> probs [N,3]).");
        return 2;
    }
    await File.WriteAllBytesAsync(args[1], model);
    Console.WriteLine($"Wrote {args[1]}: {kind}, {model.Length} bytes");
    return 0;
}
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.WriteLine(BenchOptions.Usage);
    return 2;
}
return await EmbeddedGridBenchmark.RunAsync(options);
