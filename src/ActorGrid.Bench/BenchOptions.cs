namespace ActorGrid.Bench;

public sealed record BenchOptions(int Tasks, int Concurrency, int BaselineRuns)
{
    public const string Usage = """
        actorgrid-bench: measures the embedded grid.
          --tasks N         tasks for the latency and throughput runs (default 200)
          --concurrency N   parallel submitters in the throughput run (default 8)
          --baseline N      raw process spawns measured as the baseline (default 200)
        actorgrid-bench inference …           the inference benchmark
        actorgrid-bench make-model <path> [elementwise|classifier]
                                              writes a generated ONNX model to try inference with
        """;

    public static BenchOptions? Parse(string[] args)
    {
        var (tasks, concurrency, baseline) = (200, 8, 200);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help" || i + 1 >= args.Length || !int.TryParse(args[i + 1], out var n) || n < 1) return null;
            switch (args[i++])
            {
                case "--tasks": tasks = n; break;
                case "--concurrency": concurrency = n; break;
                case "--baseline": baseline = n; break;
                default: return null;
            }
        }
        return new BenchOptions(tasks, concurrency, baseline);
    }
}
