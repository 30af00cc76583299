using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Grid;
using ActorGrid.Grid.Tests.Inference;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Observability;
using ActorGrid.Node.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace ActorGrid.Grid.Tests.Observability;

// One submission, followed across two host processes by its spans: the gateway's HTTP span and
// the task entity and placement on the core host, the attempt and its process on the worker host.
public class TraceSpecs
{
    private const string Token = "trace-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Should_export_one_trace_with_the_spans_of_a_submission_across_the_core_and_worker_hosts()
    {
        using var dir = TestDirectory.Create("trace-two-hosts");
        var (corePort, workerPort, http) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{corePort}";
        var (coreSpans, workerSpans) = (Path.Combine(dir.Path, "core.spans.jsonl"), Path.Combine(dir.Path, "worker.spans.jsonl"));
        var node = PlacementSpecs.Descriptor(dir, "trace-edge", zone: "local", cpu: 2);
        await using var core = GridProcess.Start("core",
            ["--hostname", "127.0.0.1", "--port", corePort.ToString(), "--seeds", seed, "--data", dir.Sub("core"), "--roles", "core,gateway", "--http", $"127.0.0.1:{http}"],
            Token, dir.Path, new Dictionary<string, string?> { [GridTelemetry.TraceFileVariable] = coreSpans });
        await using var worker = GridProcess.Start("worker",
            ["--hostname", "127.0.0.1", "--port", workerPort.ToString(), "--seeds", seed, "--data", dir.Sub("worker"), "--roles", "worker", "--node", node],
            Token, dir.Path, new Dictionary<string, string?> { [GridTelemetry.TraceFileVariable] = workerSpans });
        await core.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(core.HttpBase);
        await api.WaitForReadyNodesAsync(Token, 1, Long);
        var key = await api.CreateTenantAsync(Token, "acme", ["local"]);

        var id = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo traced"))).Body);
        Assert.Equal("succeeded", Tasks.State(await api.WaitForStateAsync(key, id, Tasks.IsTerminal, Long)));

        // Spans are written as they end; process.run ends with the exit the task just reported.
        var spans = await WaitForAsync(() => Read(coreSpans).Concat(Read(workerSpans)).ToList(),
            all => all.Any(s => Name(s) == "process.run" && Tag(s, "actorgrid.task") == id), TimeSpan.FromSeconds(20));
        var submit = Assert.Single(spans, s => Name(s) == "task.submit" && Tag(s, "actorgrid.task") == id);
        var trace = submit["traceId"]!.GetValue<string>();
        var ours = spans.Where(s => s["traceId"]!.GetValue<string>() == trace).ToList();
        JsonNode One(string name) => Assert.Single(ours, s => Name(s) == name);
        var request = Assert.Single(ours, s => s["kind"]!.GetValue<string>() == "Server" && Name(s).StartsWith("POST", StringComparison.Ordinal));
        var (persist, decide, start, run) = (One("task.persist"), One("placement.decide"), One("attempt.start"), One("process.run"));

        Assert.Null(request["parentSpanId"]);
        AssertChild(submit, of: request);
        AssertChild(persist, of: submit);
        AssertChild(decide, of: submit);
        AssertChild(start, of: submit);
        AssertChild(run, of: start);
        Assert.All([request, submit, persist, decide], s => Assert.Equal($"127.0.0.1:{corePort}", Host(s)));
        Assert.All([start, run], s => Assert.Equal($"127.0.0.1:{workerPort}", Host(s)));
        Assert.Equal("trace-edge", Tag(decide, "actorgrid.node"));
        Assert.Equal("succeeded", Tag(run, "actorgrid.outcome"));
        Assert.Equal("0", Tag(run, "process.exit.code"));
    }

    [Fact]
    public async Task Should_trace_an_inference_from_the_gateways_request_to_the_ONNX_Runtime_run()
    {
        using var dir = TestDirectory.Create("trace-inference");
        var spansFile = Path.Combine(dir.Path, "spans.jsonl");
        await using var host = GridProcess.Start("grid",
            ["--port", FreePorts.Next().ToString(), "--http", $"127.0.0.1:{FreePorts.Next()}", "--data", dir.Sub("data")],
            Token, dir.Path, new Dictionary<string, string?> { [GridTelemetry.TraceFileVariable] = spansFile });
        await host.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(host.HttpBase);
        var key = await api.CreateTenantAsync(Token, "acme", []);
        await api.UploadOkAsync(key, "affine", TestModels.Elementwise());

        var (status, _) = await api.InferAsync(key, "affine", InferenceClient.Request("x", [2, 4], [0, 1, -2.5f, 10, 0.25f, -1, 3, 100], slaMs: 2000));
        Assert.Equal(HttpStatusCode.OK, status);

        var spans = await WaitForAsync(() => Read(spansFile).ToList(),
            all => all.Any(s => Name(s) == "inference.run") && all.Any(s => Name(s).Contains("/infer", StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
        var run = Assert.Single(spans, s => Name(s) == "inference.run");
        var request = Assert.Single(spans, s => s["spanId"]!.GetValue<string>() == run["parentSpanId"]?.GetValue<string>());
        Assert.Equal("Server", request["kind"]!.GetValue<string>());
        Assert.StartsWith("POST", Name(request), StringComparison.Ordinal);
        Assert.Equal("affine@1", Tag(run, "actorgrid.model"));
        Assert.Equal("1", Tag(run, "actorgrid.batch"));
        Assert.True(double.Parse(Tag(run, "actorgrid.compute_ms")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
    }

    [Fact]
    public async Task Should_send_spans_to_the_OTLP_endpoint_when_OTEL_EXPORTER_OTLP_ENDPOINT_is_set()
    {
        // A stand-in collector: OTLP/HTTP posts protobuf to /v1/traces; span names are plain UTF-8 in it.
        var port = FreePorts.Next();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = collector.GetContextAsync();
        var settings = new Dictionary<string, string?>
        {
            [GridTelemetry.OtlpEndpointVariable] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        var grid = new GridSettings("127.0.0.1", 4999, [], new HashSet<string> { Roles.Core }, Path.GetTempPath(), DatabaseTarget.Parse(null, Path.GetTempPath()), null, "hocon", null, null);
        services.AddGridTracing(grid, name => settings.GetValueOrDefault(name));
        await using var provider = services.BuildServiceProvider();
        var tracer = provider.GetRequiredService<TracerProvider>();

        GridTracing.Start("otlp.probe", null, rootIfNone: true)!.Stop();
        tracer.ForceFlush();

        var context = await received.WaitAsync(TimeSpan.FromSeconds(20));
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        context.Response.StatusCode = 200;
        context.Response.Close();
        Assert.Equal("/v1/traces", context.Request.Url!.AbsolutePath);
        Assert.Equal("application/x-protobuf", context.Request.ContentType);
        Assert.Contains("otlp.probe", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public void Should_register_no_tracing_when_neither_an_endpoint_nor_a_trace_file_is_set()
    {
        Assert.False(GridTelemetry.Wanted(_ => null));
        Assert.True(GridTelemetry.Wanted(name => name == GridTelemetry.TraceFileVariable ? "/tmp/spans.jsonl" : null));
    }

    private static void AssertChild(JsonNode child, JsonNode of)
    {
        Assert.Equal(of["spanId"]!.GetValue<string>(), child["parentSpanId"]?.GetValue<string>());
        Assert.True(child["start"]!.GetValue<DateTime>() >= of["start"]!.GetValue<DateTime>().AddMilliseconds(-50),
            $"{Name(child)} should start after {Name(of)}");
    }

    private static string Name(JsonNode span) => span["name"]!.GetValue<string>();
    private static string Host(JsonNode span) => span["host"]!.GetValue<string>();
    private static string? Tag(JsonNode span, string key) => span["tags"]?[key]?.GetValue<string>();

    private static IEnumerable<JsonNode> Read(string file)
    {
        if (!File.Exists(file)) return [];
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonNode>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0 && line.EndsWith('}')) lines.Add(JsonNode.Parse(line)!);
        return lines;
    }

    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }
}
