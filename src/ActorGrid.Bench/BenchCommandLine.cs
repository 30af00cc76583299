using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorGrid.Bench;

// actorgrid-bench's command line: the embedded-grid run on the root command (--tasks,
// --concurrency, --baseline) and one subcommand per benchmark. A bad option is a usage error:
// one line on stderr that says what was wrong and which --help to read, and exit code 2.
public static partial class BenchCommandLine
{
    public const int Usage = 2;

    public static RootCommand Build()
    {
        var grid = new EmbeddedGridCommand();
        var root = new RootCommand(
            "actorgrid-bench: measures ActorGrid and prints what it measures (figures, never assertions). " +
            "With no subcommand: formation time, submit→running latency and throughput of a real embedded grid, against a raw process-spawn baseline.")
        {
            new InferenceCommand(),
            new ControlPlaneCommand(),
            PlacementActor(),
            PlacementQueue(),
            Preprocess(),
            MakeFrame(),
            MakeModel(),
        };
        grid.AddTo(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = parsed.CommandResult.Command;
            var path = command == root ? "" : command.Name + " ";
            var reasons = Whitespace().Replace(string.Join(" ", parsed.Errors.Select(e => e.Message.TrimEnd('.') + ".")), " ");
            await Console.Error.WriteLineAsync($"actorgrid-bench: {reasons} Run 'actorgrid-bench {path}--help'.");
            return Usage;
        }
        return await parsed.InvokeAsync();
    }

    // An option that takes a whole number of at least 1 (N in the help), with its default.
    public static Option<int> Count(string name, string description, int fallback) => new(name)
    {
        Description = description, // the help adds [default: …]
        HelpName = "N",
        DefaultValueFactory = _ => fallback,
        CustomParser = result => ParseOrRefuse(result, name, fallback, "a whole number of at least 1", WholeAtLeastOne),
    };

    // An option that takes a number of seconds above 0 (T in the help), with its default.
    public static Option<double> Seconds(string name, string description, double fallback) => new(name)
    {
        Description = description,
        HelpName = "T",
        DefaultValueFactory = _ => fallback,
        CustomParser = result => ParseOrRefuse(result, name, fallback, "a number of seconds above 0",
            token => double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v : null),
    };

    // A positional whole number of at least 1 that may be left out.
    public static Argument<int?> OptionalCount(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = result => result.Tokens.Count == 0 ? null : ParseOrRefuse<int>(result, name, 0, "a whole number of at least 1", WholeAtLeastOne),
    };

    internal static int? WholeAtLeastOne(string token) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;

    internal static T ParseOrRefuse<T>(ArgumentResult result, string name, T fallback, string what, Func<string, T?> parse) where T : struct
    {
        if (result.Tokens.Count == 0) return fallback;
        var token = result.Tokens[0].Value;
        if (parse(token) is { } value) return value;
        result.AddError($"{name} takes {what}, not '{token}'.");
        return fallback;
    }

    // placement-actor: the live placement decision path at 1k/10k/100k nodes, the incrementally kept
    // inventory against rebuilding it per decision (the old path), then through a real PlacementActor.
    private static Command PlacementActor()
    {
        var command = new Command("placement-actor", "Live placement decisions at 1k/10k/100k nodes: the kept inventory against rebuilding it, then through a real PlacementActor.");
        command.SetAction(async (_, _) =>
        {
            var direct = await PlacementActorBenchmark.RunAsync([1_000, 10_000, 100_000], 5_000, Console.Out);
            return direct != 0 ? direct : await PlacementActorBenchmark.RunThroughActorAsync([1_000, 10_000], 3_000, 16, Console.Out);
        });
        return command;
    }

    // placement-queue: one placeable request behind a deep waiting queue, through a real
    // PlacementActor, against the same with an empty queue.
    private static Command PlacementQueue()
    {
        var depths = new Option<int[]>("--depths")
        {
            Description = "Waiting requests to queue before each run, comma-separated",
            HelpName = "N,N",
            DefaultValueFactory = _ => [1_000, 10_000, 100_000],
            CustomParser = result =>
            {
                var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
                var parsed = token.Split(',').Select(WholeAtLeastOne).ToArray();
                if (parsed.Length > 0 && parsed.All(n => n is not null)) return [.. parsed.Select(n => n!.Value)];
                result.AddError($"--depths takes whole numbers of at least 1 separated by commas, not '{token}'.");
                return [];
            },
        };
        var samples = Count("--samples", "Placeable requests timed per depth", 50);
        var recheck = Seconds("--recheck-seconds", "How often each waiting task re-asks placement (actorgrid.tasks.queued-recheck-interval)", 15);
        var command = new Command("placement-queue", "A placeable request behind 1k/10k/100k waiting ones, through a real PlacementActor.") { depths, samples, recheck };
        command.SetAction(async (result, _) => await PlacementQueueBenchmark.RunAsync(
            result.GetValue(depths)!, result.GetValue(samples), TimeSpan.FromSeconds(result.GetValue(recheck)), Console.Out));
        return command;
    }

    // preprocess [runs]: camera frame decode + letterbox + normalise, each candidate decoder (README, "Images in").
    private static Command Preprocess()
    {
        var runs = OptionalCount("runs", "Frames decoded per decoder (default 50).");
        var command = new Command("preprocess", "1920×1080 JPEG → 640×640 tensor, per candidate decoder.") { runs };
        command.SetAction(result => PreprocessBenchmark.Run(result.GetValue(runs) ?? 50, Console.Out));
        return command;
    }

    // make-frame <path>: the benchmark's synthetic 1920×1080 JPEG, to try image inference with.
    private static Command MakeFrame()
    {
        var path = new Argument<string>("path") { Description = "Where to write the JPEG." };
        var command = new Command("make-frame", "Writes the benchmark's synthetic 1920×1080 JPEG, to try image inference with.") { path };
        command.SetAction(async (result, cancel) =>
        {
            var file = result.GetValue(path)!;
            var frame = PreprocessBenchmark.Scene(1920, 1080);
            await File.WriteAllBytesAsync(file, frame, cancel);
            Console.WriteLine($"Wrote {file}: 1920×1080 JPEG, {frame.Length} bytes");
            return 0;
        });
        return command;
    }

    // make-model <path> [kind]: writes one of the test suite's generated ONNX models, so trying
    // inference needs no download.
    private static Command MakeModel()
    {
        var path = new Argument<string>("path") { Description = "Where to write the model." };
        var kind = new Argument<string>("kind")
        {
            Description = "elementwise (y = 2x + 1 over [N,4]; the default), classifier (image [N,3,32,32] -> probs [N,3]) " +
                          "or frame (image [N,3,64,64] -> probs [N,3], 32 MiB dense layer).",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "elementwise",
        }.AcceptOnlyFromAmong("elementwise", "classifier", "frame");
        var command = new Command("make-model", "Writes a generated ONNX model to try inference with.") { path, kind };
        command.SetAction(async (result, cancel) =>
        {
            var file = result.GetValue(path)!;
            var which = result.GetValue(kind)!;
            var model = which switch
            {
                "classifier" => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.ConvClassifier(32),
                "frame" => BenchModels.FrameClassifier(),
                _ => ActorGrid.Runtime.Tests.Inference.Onnx.TestModels.Elementwise(),
            };
            await File.WriteAllBytesAsync(file, model, cancel);
            Console.WriteLine($"Wrote {file}: {which}, {model.Length} bytes");
            return 0;
        });
        return command;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
