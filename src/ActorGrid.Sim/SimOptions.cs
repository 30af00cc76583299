using System.Globalization;

namespace ActorGrid.Sim;

// The command line of the simulator's contract, parsed by hand so every mistake gets one clear
// line and exit code 2.
public sealed record SimOptions
{
    public string? Scenario { get; init; }
    public int Seed { get; init; } = 1;
    public double Hours { get; init; } = 24;
    public bool Json { get; init; }
    public string? Trace { get; init; }
    public string? Nodes { get; init; }
    public string? Topology { get; init; }
    public string? EmitTrace { get; init; }
    public string? Placements { get; init; }
    public bool BenchPolicy { get; init; }
    public IReadOnlyList<int> BenchNodes { get; init; } = [1_000, 10_000, 100_000];
    public bool Help { get; init; }
    public string? ChipProfiles { get; init; }
    public double ArrivalScale { get; init; } = 1;
    public bool AllBaselines { get; init; }
    public bool Ablation { get; init; }

    // Only the policies named (by their table names), in the order they would run; null: all.
    public IReadOnlyList<string>? Only { get; init; }

    public const string Usage = """
        actorgrid-sim: ActorGrid's placement policy in virtual time, side by side with three baselines
        (fifo-nearest, random feasible, cheapest feasible), on the built-in inspection scenario or a trace.

        Usage:
          actorgrid-sim --scenario inspection [--seed N] [--hours H] [--json] [--emit-trace FILE.csv] [--placements FILE.csv]
          actorgrid-sim --trace FILE.csv --nodes INVENTORY.hocon|json --topology TOPOLOGY.hocon|json [--seed N] [--json] [--placements FILE.csv]
          actorgrid-sim --scenario inspection --trace FILE.csv [--json] [--placements FILE.csv]   (a trace on the scenario's nodes and topology)
          actorgrid-sim --bench-policy [--bench-nodes 1000,10000,100000]
          actorgrid-sim --scenario gpu-trace|gpu-trace-fair|campaign [--seed N] [--arrival-scale K] [--chip-profiles FILE] [--ablation] [--json]
          actorgrid-sim import --format philly|pai|helios IN OUT.csv [--arrival-scale K] [--max-chips N]

        Options:
          --scenario NAME     built-in scenario: inspection (27 factories in two provinces, two regional
                              clouds, two national GPU hubs; realtime, interactive, batch, deferrable work)
                              gpu-trace: GPU-cluster-shaped training jobs on a heterogeneous grid (Jetson,
                              L4, A100, H100, Ascend 910B) at the chips' speeds; gpu-trace-fair: the same jobs
                              without the edge Jetsons (no baseline can lose by training on one); campaign: 27 factories
                              retraining two models each with realtime inspection at the edge. Both run
                              every baseline (fifo-consolidate, srtf-oracle, 2d-las, actorgrid-blind too).
          --chip-profiles F   chip speeds (default hocon/chips/profiles.hocon for gpu-trace and campaign);
                              with a trace or the inspection scenario, work runs at these speeds and
                              actorgrid is hardware-aware; without, every chip runs at 1.0 as before
          --arrival-scale K   divide every submission time by K (K times the contention)
          --all-baselines     also run fifo-consolidate, srtf-oracle, 2d-las, actorgrid-blind and actorgrid-las
                              (actorgrid not told durations: preemptive 2D-LAS queue, a prior for placement)
          --ablation          with chip profiles, also run actorgrid's parts one by one. Told durations:
                              ag:speeds (finish-time placement, FIFO), ag:+wait (waits for a faster chip),
                              ag:+srf-queue (shortest remaining first), ag:+preempt (= actorgrid);
                              ag:+packing (best fit), ag:+queue-plan (queue wait counts the work queued
                              ahead), ag:-headroom (no edge headroom cost), ag-blind:-preempt (actorgrid-blind
                              without preemption). Not told: las:-preempt, las:-wait, las:-speeds
                              (actorgrid-las without preemption, without waiting for faster chips, speed-blind)
          --policies A,B      run only the policies named (table names, e.g. actorgrid,actorgrid-blind);
                              the comparisons are against whichever of them run
          --seed N            seeds the scenario generator and the random baseline (default 1)
          --hours H           length of the generated workload in hours (default 24)
          --trace FILE        workload CSV; header, in this order:
                                submit_s,tenant,kind,lane,cpu,memory_mib,chip_model,chip_count,duration_s,origin_site,sla_ms,deadline_s,zones
                              lane: realtime|interactive|batch|deferrable; chip_model empty = no chip, any = any GPU;
                              duration_s: run time on a reference chip; origin_site empty = no origin (no latency term);
                              sla_ms: end to end from the origin; deadline_s: on the trace's clock (absolute);
                              zones: allowed zones separated by ';' (empty = any).
                              kind sets the input moved from the origin: inference 0.5 MB, analysis 20 MB,
                              retraining 500 MB, training 2000 MB (others 0); training and retraining
                              checkpoint every 10 minutes and resume from it when preempted.
          --nodes FILE        node inventory: nodes = [ { id, tier, site, zone, cpu, memory-mib, chips = [ { model,
                              count, memory-mib } ], price-per-chip-hour, price-per-core-hour,
                              green-share-by-hour = [24 shares], state } ]   (see hocon/scenarios/)
          --topology FILE     sites, distance-class defaults and links (see hocon/topology/inspection.hocon)
          --json              print one JSON object instead of the table
          --emit-trace FILE   also write the scenario's generated trace as CSV
          --placements FILE   also write per-task placements as CSV, one row per task per policy, streamed as
                              tasks settle (rows in settling order; policies one after another). Header:
                                policy,task_index,submit_s,tenant,kind,lane,origin_site,node,tier,site,zone,start_s,
                                end_s,queue_s,jct_s,sla_ms,sla_met,cost,green_share,preempted_count,deferred_until_s,
                                outcome,reason
                              task_index: the trace's data row from 0; node/tier/site/zone: where it last ran;
                              start_s: first start; end_s: result back at the origin; queue_s = start_s - submit_s;
                              jct_s = end_s - submit_s; sla_met: the summary's SLA hit; cost, green_share: over all
                              its runs; deferred_until_s: end of its green-window wait; outcome: placed | unplaced |
                              failed-fast, with the reason for the last two. Empty = does not apply.
                              The --json output is unchanged; the table names the file written.
          --bench-policy      time placement decisions with 1k, 10k and 100k nodes in view, against the
                              foundation's ConstraintPlacementPolicy in the same run
          --bench-nodes LIST  node counts for --bench-policy, comma-separated
          --help              this text

        SLA hit: within sla_ms end to end when the task has one; else finished by deadline_s; else finished.
        Exit codes: 0 done, 2 bad arguments or input files.
        """;

    // Returns the options, or throws ArgumentException with the one-line problem.
    public static SimOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SimOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            options = arg switch
            {
                "--help" or "-h" or "-?" => options with { Help = true },
                "--json" => options with { Json = true },
                "--bench-policy" => options with { BenchPolicy = true },
                "--scenario" => options with { Scenario = Value(args, ref i) },
                "--seed" => options with { Seed = Int(arg, Value(args, ref i)) },
                "--hours" => options with { Hours = Positive(arg, Value(args, ref i)) },
                "--trace" => options with { Trace = Value(args, ref i) },
                "--nodes" => options with { Nodes = Value(args, ref i) },
                "--topology" => options with { Topology = Value(args, ref i) },
                "--emit-trace" => options with { EmitTrace = Value(args, ref i) },
                "--placements" => options with { Placements = Value(args, ref i) },
                "--chip-profiles" => options with { ChipProfiles = Value(args, ref i) },
                "--arrival-scale" => options with { ArrivalScale = Positive(arg, Value(args, ref i)) },
                "--all-baselines" => options with { AllBaselines = true },
                "--ablation" => options with { Ablation = true },
                "--policies" => options with { Only = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--bench-nodes" => options with { BenchNodes = Value(args, ref i).Split(',').Select(n => Int(arg, n)).ToArray() },
                _ => throw new ArgumentException($"unknown option '{arg}'"),
            };
        }
        if (options.Help) return options;
        if (options.BenchPolicy)
        {
            if (options.Placements is not null) throw new ArgumentException("--placements writes a simulation's tasks; it does not go with --bench-policy");
            return options;
        }
        if (options.Scenario is { } s && s is not (Scenario_.Inspection or Scenario_.GpuTrace or Scenario_.GpuTraceFair or Scenario_.Campaign))
            throw new ArgumentException($"unknown scenario '{s}'; the built-in ones are '{Scenario_.Inspection}', '{Scenario_.GpuTrace}', '{Scenario_.GpuTraceFair}' and '{Scenario_.Campaign}'");
        if (options.Scenario is null)
        {
            if (options.Trace is null) throw new ArgumentException("give --scenario inspection, or --trace with --nodes and --topology");
            if (options.Nodes is null || options.Topology is null) throw new ArgumentException("--trace needs --nodes and --topology (or --scenario inspection for the scenario's own)");
        }
        else if (options.Nodes is not null || options.Topology is not null)
        {
            throw new ArgumentException("--nodes and --topology go with --trace alone; --scenario brings its own");
        }
        if (options.EmitTrace is not null && options.Scenario is null) throw new ArgumentException("--emit-trace writes a scenario's trace; give --scenario");
        return options;
    }

    private static class Scenario_
    {
        public const string Inspection = "inspection";
        public const string GpuTrace = ActorGrid.Sim.Scenario.HeterogeneousScenarios.GpuTrace;
        public const string Campaign = ActorGrid.Sim.Scenario.HeterogeneousScenarios.Campaign;
        public const string GpuTraceFair = ActorGrid.Sim.Scenario.HeterogeneousScenarios.GpuTraceFair;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException($"{args[i]} needs a value");
        return args[++i];
    }

    private static int Int(string option, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"{option} takes a whole number, not '{text}'");

    private static double Positive(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
            : throw new ArgumentException($"{option} takes a positive number, not '{text}'");
}
