namespace ActorGrid.Bench;

public sealed record BenchOptions(int Tasks, int Concurrency, int BaselineRuns)
{
    public const string Usage = """
        actorgrid-bench: measures the embedded grid.
          --tasks N         tasks for the latency and throughput runs (default 200)
          --concurrency N   parallel submitters in the throughput run (default 8)
          --baseline N      raw process spawns measured as the baseline (default 200)
        actorgrid-bench inference [--help]    the inference benchmark
        actorgrid-bench inference --model <file.onnx> --shape 1x3x640x640 [--image <file.jpg>]
                                              a real model: raw ONNX Runtime vs the gateway's binary and image paths
        actorgrid-bench control-plane [--help] task submissions accepted per second
        actorgrid-bench placement-actor       live placement decisions: kept vs rebuilt inventory
        actorgrid-bench preprocess [runs]     1920×1080 JPEG → 640×640 tensor, per decoder (default 50 runs)
        actorgrid-bench make-frame <path>     writes that synthetic 1920×1080 JPEG, to try image inference with
        actorgrid-bench make-model <path> [elementwise|classifier|frame]
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

// `actorgrid-bench inference …`: how long each part of the inference benchmark runs. The defaults
// keep the whole run to a few minutes on a 2-core machine.
public sealed record InferenceBenchOptions(int Requests, int Size, double StepSeconds, double ClientSeconds, int Clients, bool TwoHosts)
{
    public const string Usage = """
        actorgrid-bench inference: the same model and inputs through (a) ONNX Runtime in-process,
        (b) the worker actor, (c) HTTP on an embedded grid, (d) a gateway host and a worker host;
        a load search with slaMs 80 on (c) and (d); micro-batching on vs off under concurrent clients.
          --requests N       sequential requests per path for (a)-(d) (default 1000)
          --size S           image side of the conv classifier, input [1,3,S,S] (default 32)
          --step-seconds T   length of each open-loop step of the load search (default 2)
          --client-seconds T length of each batching on/off run (default 4)
          --clients N        concurrent closed-loop clients in the batching runs (default 16)
          --no-two-hosts     skip (d)
        The first two may also be given positionally: inference [requests] [size].
        """;

    public static InferenceBenchOptions? Parse(string[] args)
    {
        var o = new InferenceBenchOptions(1000, 32, 2, 4, 16, true);
        var positional = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "-h" or "--help") return null;
            if (a == "--no-two-hosts") { o = o with { TwoHosts = false }; continue; }
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                if (!int.TryParse(a, out var p) || p < 1) return null;
                o = positional++ switch { 0 => o with { Requests = p }, 1 => o with { Size = p }, _ => null! };
                if (o is null) return null;
                continue;
            }
            if (i + 1 >= args.Length || !double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) || v <= 0) return null;
            i++;
            o = a switch
            {
                "--requests" => o with { Requests = (int)v },
                "--size" => o with { Size = (int)v },
                "--step-seconds" => o with { StepSeconds = v },
                "--client-seconds" => o with { ClientSeconds = v },
                "--clients" => o with { Clients = (int)v },
                _ => null!,
            };
            if (o is null) return null;
        }
        return o;
    }
}
