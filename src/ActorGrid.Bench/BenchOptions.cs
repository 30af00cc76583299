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
    // A real model instead: its first input, float32 of --shape, raw ONNX Runtime against the gateway.
    private readonly Option<FileInfo?> _model = new("--model")
    {
        Description = "A real ONNX model: raw ONNX Runtime in-process (default session options) against the embedded grid's binary path " +
                      "(and, with --image, the frame as image/jpeg decoded on the worker, and decoded by the client then sent as binary); " +
                      "needs --shape; --requests then defaults to 100",
    };
    private readonly Option<string?> _shape = new("--shape") { Description = "The model input's shape, e.g. 1x3x640x640", HelpName = "NxCxHxW" };
    private readonly Option<FileInfo?> _image = new("--image") { Description = "A JPEG or PNG frame for the image paths (with --model)" };
    // The first two may also be given positionally, as before: inference [requests] [size].
    private readonly Argument<int?> _requestsAt = BenchCommandLine.OptionalCount("requests", "Same as --requests.");
    private readonly Argument<int?> _sizeAt = BenchCommandLine.OptionalCount("size", "Same as --size.");

    public InferenceCommand() : base("inference",
        "The same model and inputs through (a) ONNX Runtime in-process, (b) the worker actor, (c) HTTP on an embedded grid, " +
        "(d) a gateway host and a worker host; a load search with slaMs 80 on (c) and (d); micro-batching on vs off under concurrent clients.")
    {
        foreach (var option in new Option[] { _requests, _size, _stepSeconds, _clientSeconds, _clients, _noTwoHosts, _model, _shape, _image }) Options.Add(option);
        Arguments.Add(_requestsAt);
        Arguments.Add(_sizeAt);
        Validators.Add(result =>
        {
            if (result.GetValue(_model) is null)
            {
                if (result.GetValue(_shape) is not null || result.GetValue(_image) is not null) result.AddError("--shape and --image go with --model.");
                return;
            }
            if (ModelBenchOptions.ParseShape(result.GetValue(_shape) ?? "") is null)
                result.AddError($"--model needs --shape with whole numbers of at least 1 between 'x', e.g. 1x3x640x640, not '{result.GetValue(_shape)}'.");
        });
        SetAction((result, _) => result.GetValue(_model) is { } model
            ? ModelFileBenchmark.RunAsync(new ModelBenchOptions(model.FullName, ModelBenchOptions.ParseShape(result.GetValue(_shape)!)!,
                result.GetValue(_image)?.FullName, result.GetResult(_requests) is { Implicit: false } ? result.GetValue(_requests) : 100,
                TwoHosts: !result.GetValue(_noTwoHosts)))
            : InferenceBenchmark.RunAsync(Read(result)));
    }

    public InferenceBenchOptions Read(ParseResult result) => new(
        Requests: result.GetValue(_requestsAt) ?? result.GetValue(_requests),
        Size: result.GetValue(_sizeAt) ?? result.GetValue(_size),
        StepSeconds: result.GetValue(_stepSeconds),
        ClientSeconds: result.GetValue(_clientSeconds),
        Clients: result.GetValue(_clients),
        TwoHosts: !result.GetValue(_noTwoHosts));
}
