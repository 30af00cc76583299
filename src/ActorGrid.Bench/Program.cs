using ActorGrid.Bench;

// Starts a real embedded grid and prints what it measures. Figures, never assertions: the
// machines are shared and noisy, so speed is reported here rather than tested.
if (args.Length > 0 && args[0] == "inference" && ModelBenchOptions.Wants(args))
{
    if (ModelBenchOptions.Parse(args[1..]) is not { } model)
    {
        Console.WriteLine(ModelBenchOptions.Usage);
        return 2;
    }
    return await ModelFileBenchmark.RunAsync(model);
}
if (args.Length > 0 && args[0] == "inference")
{
    if (InferenceBenchOptions.Parse(args[1..]) is not { } inference)
    {
        Console.WriteLine(InferenceBenchOptions.Usage);
        return 2;
    }
    return await InferenceBenchmark.RunAsync(inference);
}
// control-plane: task submissions accepted per second against the /healthz floor and the raw
// journal rate on the same kind of database.
if (args.Length > 0 && args[0] == "control-plane")
{
    if (ControlPlaneBenchmark.Options.Parse(args[1..]) is not { } controlPlane)
    {
        Console.WriteLine(ControlPlaneBenchmark.Options.Usage);
        return 2;
    }
    return await ControlPlaneBenchmark.RunAsync(controlPlane);
}
// preprocess [runs]: camera frame decode + letterbox + normalise, each candidate decoder (README, "Images in").
if (args.Length is 1 or 2 && args[0] == "preprocess")
{
    var runs = args.Length == 2 && int.TryParse(args[1], out var n) && n > 0 ? n : 50;
    return PreprocessBenchmark.Run(runs, Console.Out);
}
// make-frame <path>: the benchmark's synthetic 1920×1080 JPEG, to try image inference with.
if (args.Length == 2 && args[0] == "make-frame")
{
    var frame = PreprocessBenchmark.Scene(1920, 1080);
    await File.WriteAllBytesAsync(args[1], frame);
    Console.WriteLine($"Wrote {args[1]}: 1920×1080 JPEG, {frame.Length} bytes");
    return 0;
}
// placement-actor: the live placement decision path at 1k/10k/100k nodes, the incrementally kept
// inventory against rebuilding it per decision (the old path), then through a real PlacementActor.
if (args.Length == 1 && args[0] == "placement-actor")
{
    var direct = await PlacementActorBenchmark.RunAsync([1_000, 10_000, 100_000], 5_000, Console.Out);
    return direct != 0 ? direct : await PlacementActorBenchmark.RunThroughActorAsync([1_000, 10_000], 3_000, 16, Console.Out);
}
// make-model <path> [elementwise|classifier|frame]: writes one of the test suite's generated ONNX models,
// so trying inference needs no download.
if (args.Length is 2 or 3 && args[0] == "make-model")
{
    var kind = args.Length == 3 ? args[2] : "elementwise";
    byte[]? model = kind switch
    {
        "elementwise" => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.Elementwise(),
        "classifier" => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.ConvClassifier(32),
        "frame" => BenchModels.FrameClassifier(),
        _ => null,
    };
    if (model is null)
    {
        Console.Error.WriteLine($"Unknown model '{kind}'; use elementwise (y = 2x + 1 over [N,4]), classifier (image [N,3,32,32] -> probs [N,3]) or frame (image [N,3,64,64] -> probs [N,3], 32 MiB dense layer).");
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
