using System.CommandLine;

namespace ActorGrid.Bench;

public sealed record BenchOptions(int Tasks, int Concurrency, int BaselineRuns);

// The root command's options: the embedded-grid run.
public sealed class EmbeddedGridCommand
{
    private readonly Option<int> _tasks = BenchCommandLine.Count("--tasks", "Tasks for the latency and throughput runs", 200);
    private readonly Option<int> _concurrency = BenchCommandLine.Count("--concurrency", "Parallel submitters in the throughput run", 8);
    private readonly Option<int> _baseline = BenchCommandLine.Count("--baseline", "Raw process spawns measured as the baseline", 200);

    public void AddTo(RootCommand root)
    {
        root.Options.Add(_tasks);
        root.Options.Add(_concurrency);
        root.Options.Add(_baseline);
        root.SetAction((result, _) => EmbeddedGridBenchmark.RunAsync(Read(result)));
    }

    public BenchOptions Read(ParseResult result) => new(result.GetValue(_tasks), result.GetValue(_concurrency), result.GetValue(_baseline));
}

// `actorgrid-bench inference …`: how long each part of the inference benchmark runs. The defaults
// keep the whole run to a few minutes on a 2-core machine.
public sealed record InferenceBenchOptions(int Requests, int Size, double StepSeconds, double ClientSeconds, int Clients, bool TwoHosts);

// To add an option: a property on InferenceBenchOptions above, an Option field here (Count for a
// whole number, Seconds for a duration, or any Option<T> with a Description), its name in the
// constructor's list, and its value in Read. Parse errors and --help come with it.
public sealed class InferenceCommand : Command
{
    private readonly Option<int> _requests = BenchCommandLine.Count("--requests", "Sequential requests per path for (a)-(d)", 1000);
    private readonly Option<int> _size = BenchCommandLine.Count("--size", "Image side of the conv classifier, input [1,3,S,S]", 32);
    private readonly Option<double> _stepSeconds = BenchCommandLine.Seconds("--step-seconds", "Length of each open-loop step of the load search", 2);
    private readonly Option<double> _clientSeconds = BenchCommandLine.Seconds("--client-seconds", "Length of each batching on/off run", 4);
    private readonly Option<int> _clients = BenchCommandLine.Count("--clients", "Concurrent closed-loop clients in the batching runs", 16);
    private readonly Option<bool> _noTwoHosts = new("--no-two-hosts") { Description = "Skip (d)" };
    // The first two may also be given positionally, as before: inference [requests] [size].
    private readonly Argument<int?> _requestsAt = BenchCommandLine.OptionalCount("requests", "Same as --requests.");
    private readonly Argument<int?> _sizeAt = BenchCommandLine.OptionalCount("size", "Same as --size.");

    public InferenceCommand() : base("inference",
        "The same model and inputs through (a) ONNX Runtime in-process, (b) the worker actor, (c) HTTP on an embedded grid, " +
        "(d) a gateway host and a worker host; a load search with slaMs 80 on (c) and (d); micro-batching on vs off under concurrent clients.")
    {
        foreach (var option in new Option[] { _requests, _size, _stepSeconds, _clientSeconds, _clients, _noTwoHosts }) Options.Add(option);
        Arguments.Add(_requestsAt);
        Arguments.Add(_sizeAt);
        SetAction((result, _) => InferenceBenchmark.RunAsync(Read(result)));
    }

    public InferenceBenchOptions Read(ParseResult result) => new(
        Requests: result.GetValue(_requestsAt) ?? result.GetValue(_requests),
        Size: result.GetValue(_sizeAt) ?? result.GetValue(_size),
        StepSeconds: result.GetValue(_stepSeconds),
        ClientSeconds: result.GetValue(_clientSeconds),
        Clients: result.GetValue(_clients),
        TwoHosts: !result.GetValue(_noTwoHosts));
}
