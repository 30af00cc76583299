using System.Globalization;
using System.Text.Json;
using ActorGrid.Sim;
using ActorGrid.Sim.Report;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Placement.Tests.Simulator;

// The simulator's command line, run in-process through its entry point.
[Collection(nameof(ConsoleCapture))]
public sealed class CommandLineSpecs
{
    private static string Sample(params string[] path) => Path.Combine([AppContext.BaseDirectory, "hocon", .. path]);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            var code = (int)typeof(SimRunner).Assembly.EntryPoint!.Invoke(null, [args])!;
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    [Fact]
    public void Should_run_only_the_policies_named_and_refuse_a_name_not_in_the_run()
    {
        string[] trace = ["--trace", Sample("scenarios", "tiny-trace.csv"), "--nodes", Sample("scenarios", "tiny-nodes.hocon"),
            "--topology", Sample("topology", "inspection.hocon")];

        var (code, output, _) = Run([.. trace, "--policies", "random,actorgrid", "--json"]);
        var (badCode, _, error) = Run([.. trace, "--policies", "actorgrid,nope"]);

        Assert.Equal(0, code);
        var names = JsonDocument.Parse(output).RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("policy").GetString()).ToList();
        Assert.Equal(["actorgrid", "random"], names);
        Assert.Equal(2, badCode);
        Assert.Contains("no policy 'nope'", error);
    }

    [Fact]
    public void Should_run_a_trace_file_and_print_json()
    {
        var (code, output, _) = Run("--trace", Sample("scenarios", "tiny-trace.csv"), "--nodes", Sample("scenarios", "tiny-nodes.hocon"),
            "--topology", Sample("topology", "inspection.hocon"), "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(3, doc.RootElement.GetProperty("tasks").GetInt32());
    }

    [Fact]
    public void Should_print_the_side_by_side_table_with_ratios()
    {
        var (code, output, _) = Run("--scenario", "inspection", "--seed", "1", "--hours", "0.5");

        Assert.Equal(0, code);
        Assert.Contains("actorgrid  fifo-nearest        random      cheapest", output);
        Assert.Contains("vs fifo-nearest  mean JCT x", output);
        Assert.Contains("SLA hit rate x", output);
    }

    [Fact]
    public void Should_stream_per_task_placements_to_a_file_and_keep_the_json_as_it_was()
    {
        var dir = Directory.CreateTempSubdirectory("actorgrid-sim-");
        try
        {
            var csv = Path.Combine(dir.FullName, "placements.csv");
            var trace = Path.Combine(dir.FullName, "trace.csv");
            string[] scenario = ["--scenario", "inspection", "--seed", "1", "--hours", "0.5"];

            var (code, output, _) = Run([.. scenario, "--emit-trace", trace, "--placements", csv]);

            Assert.Equal(0, code);
            Assert.Contains($"per-task placements written to {csv}", output);
            var tasks = TraceCsv.Load(trace);
            var lines = File.ReadAllLines(csv);
            Assert.Equal(PlacementsCsv.Header, lines[0]);
            Assert.Equal(tasks.Count * 4, lines.Length - 1);
            var actorgrid = lines.Skip(1).Select(l => l.Split(',')).Where(f => f[0] == "actorgrid").ToList();
            Assert.Equal(tasks.Count, actorgrid.Count);
            Assert.Contains(actorgrid, f => tasks[int.Parse(f[1], CultureInfo.InvariantCulture)].Zones.Count > 0 && f[10].Length > 0);
            Assert.All(actorgrid, f =>
            {
                var allowed = tasks[int.Parse(f[1], CultureInfo.InvariantCulture)].Zones;
                if (allowed.Count > 0 && f[10].Length > 0) Assert.Contains(f[10], allowed);
            });

            var (jsonCode, withCsv, _) = Run([.. scenario, "--json", "--placements", csv]);
            var (_, without, _) = Run([.. scenario, "--json"]);
            Assert.Equal(0, jsonCode);
            Assert.Equal(without, withCsv);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("nope.csv", "trace file 'nope.csv' does not exist")]
    [InlineData("bad-topology", "Topology '")]
    public void Should_exit_2_with_one_line_when_a_file_is_bad(string trace, string expected)
    {
        var topology = Sample("topology", "inspection.hocon");
        var dir = Directory.CreateTempSubdirectory("actorgrid-sim-");
        try
        {
            if (trace == "bad-topology")
            {
                topology = Path.Combine(dir.FullName, "topology.hocon");
                File.WriteAllText(topology, "topology { sites = [ { name = a, tier = cloud } ] }");
                trace = Sample("scenarios", "tiny-trace.csv");
            }

            var (code, output, error) = Run("--trace", trace, "--nodes", Sample("scenarios", "tiny-nodes.hocon"), "--topology", topology);

            Assert.Equal(2, code);
            Assert.Empty(output);
            Assert.Contains(expected, error);
            Assert.Single(error.TrimEnd().Split('\n'));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--scenario", "factory")]
    [InlineData("--trace", "x.csv")]
    [InlineData("--seed", "one", "--scenario", "inspection")]
    [InlineData("--frobnicate")]
    public void Should_exit_2_on_bad_arguments(params string[] args)
    {
        var (code, _, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains("see --help", error);
    }

    [Fact]
    public void Should_explain_itself_with_help()
    {
        var (code, output, _) = Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("submit_s,tenant,kind,lane,cpu,memory_mib,chip_model,chip_count,duration_s,origin_site,sla_ms,deadline_s,zones", output);
        Assert.Contains("--bench-policy", output);
        Assert.Contains("--placements FILE", output);
        Assert.Contains(PlacementsCsv.Header[..40], output);
    }
}

[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;
