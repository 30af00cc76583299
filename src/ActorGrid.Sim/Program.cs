using ActorGrid.Sim;
using ActorGrid.Sim.Bench;
using ActorGrid.Sim.Import;
using ActorGrid.Sim.Report;
using ActorGrid.Sim.Trace;

// actorgrid-sim: see SimOptions.Usage. A command-line tool, so it prints to the console.
if (args.Length > 0 && args[0] == "import") return ImportCommand.Run(args[1..], Console.Out, Console.Error);

SimOptions options;
try
{
    options = SimOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"actorgrid-sim: {ex.Message} (see --help)");
    return 2;
}
if (options.Help)
{
    Console.WriteLine(SimOptions.Usage);
    return 0;
}
if (options.BenchPolicy)
{
    PolicyBench.Run(options.BenchNodes, Console.Out);
    return 0;
}

try
{
    var inputs = SimRunner.Load(options);
    if (options.EmitTrace is { } emit) File.WriteAllText(emit, TraceCsv.Write(inputs.Trace));
    IReadOnlyList<PolicySummary> results;
    long placementRows = 0;
    if (options.Placements is { } placementsPath)
    {
        using var placements = PlacementsCsv.Create(placementsPath, inputs.Nodes);
        results = SimRunner.RunAll(inputs, options.Seed, placements, AllBaselines(options), options.Ablation, options.Only);
        placementRows = placements.Rows;
    }
    else
    {
        results = SimRunner.RunAll(inputs, options.Seed, allBaselines: AllBaselines(options), ablation: options.Ablation, only: options.Only);
    }
    var scale = options.ArrivalScale == 1 ? "" : $", arrivals x{options.ArrivalScale:0.##}";
    var title = (options.Scenario is { } s ? $"scenario {s}, seed {options.Seed}" + (s == "inspection" ? $", {options.Hours:0.##} h" : "") : $"trace {options.Trace}") + scale
        + (inputs.Profiles is null ? "" : ", at the chips' speeds");
    if (options.Json)
    {
        Console.WriteLine(SummaryJson.Write(inputs.Trace.Count, results));
    }
    else
    {
        Console.WriteLine(SummaryTable.Write(title, inputs.Trace.Count, results));
        if (options.Placements is not null)
            Console.WriteLine($"per-task placements written to {Path.GetFullPath(options.Placements)} ({placementRows} rows: {inputs.Trace.Count} tasks x {results.Count} policies)");
    }
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"actorgrid-sim: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or FormatException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"actorgrid-sim: {ex.Message}");
    return 2;
}

static bool AllBaselines(SimOptions o) => o.AllBaselines || o.Scenario is "gpu-trace" or "gpu-trace-fair" or "campaign";
