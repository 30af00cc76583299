using ActorGrid.Bench;

// Starts a real embedded grid and prints what it measures. Figures, never assertions: the
// machines are shared and noisy, so speed is reported here rather than tested.
if (args.Length > 0 && args[0] == "inference") return await InferenceBenchmark.RunAsync(args[1..]);
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.WriteLine(BenchOptions.Usage);
    return 2;
}
return await EmbeddedGridBenchmark.RunAsync(options);
