using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Node;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Runtime.Inference;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;

namespace ActorGrid.Bench;

// `dotnet run -c Release --project src/ActorGrid.Bench -- inference`: the same model and inputs
// through (a) ONNX Runtime in-process, (b) the worker's inference actor in-process, (c) the full
// HTTP path of an embedded grid (args: [requests] [image size]), (d) a gateway host and a worker host on loopback; then 16
// concurrent clients with micro-batching on and off. Prints figures; asserts nothing.
public static class InferenceBenchmark
{
    private static int Size = 32;
    private const string Admin = "bench-admin-token";

    public static async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 0 && int.TryParse(args[0], out var v) ? v : 1000;
        if (args.Length > 1 && int.TryParse(args[1], out var size)) Size = size;
        var onnx = TestModels.ConvClassifier(Size);
        var image = TestModels.Images(1, Size);
        var root = Path.Combine(Path.GetTempPath(), "actorgrid-bench-inference-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(root);
        Console.WriteLine($"Model: conv classifier, input [1,3,{Size},{Size}] float32 ({onnx.Length} bytes), {n} sequential requests per path; {Environment.ProcessorCount} cores");
        var rows = new List<(string Name, List<double> Ms, double Seconds)>();

        // (a) ONNX Runtime in-process.
        var sessions = new OnnxSessionFactory(InferenceSettings.Default);
        using (var model = new LoadedModel(sessions.Open(onnx)))
        {
            var input = new Dictionary<string, TensorPayload> { ["image"] = TensorPayloads.Float32([1, 3, Size, Size], image) };
            rows.Add(Measure("(a) ONNX Runtime in-process", n, () => { model.Run([input]); return Task.CompletedTask; }));
        }

        // (b) the worker's inference actor, in-process.
        rows.Add(await WorkerActorPathAsync(onnx, image, n, sessions, Path.Combine(root, "b")));

        // (c) and (d) over HTTP.
        await using (var embedded = await StartAsync(Path.Combine(root, "c"), "core,gateway,worker", seeds: null, batching: true))
        {
            using var http = Client(embedded.Http);
            var key = await SetUpTenantAsync(http, onnx);
            var json = JsonBody(image);
            await WarmAsync(http, key, json);
            rows.Add(await MeasureAsync("(c) HTTP, embedded grid, JSON", n, () => InferJsonAsync(http, key, json)));
            rows.Add(await MeasureAsync("(c) HTTP, embedded grid, binary", n, () => InferBinaryAsync(http, key, image)));
            rows.Add(await ConcurrentAsync("(c) 16 clients, batching on", http, key, json, 16, n));
        }
        await using (var unbatched = await StartAsync(Path.Combine(root, "c-off"), "core,gateway,worker", seeds: null, batching: false))
        {
            using var http = Client(unbatched.Http);
            var key = await SetUpTenantAsync(http, onnx);
            var json = JsonBody(image);
            await WarmAsync(http, key, json);
            rows.Add(await ConcurrentAsync("(c) 16 clients, batching off", http, key, json, 16, n));
        }
        await using (var gateway = await StartAsync(Path.Combine(root, "d-gateway"), "core,gateway", seeds: null, batching: true))
        await using (var worker = await StartAsync(Path.Combine(root, "d-worker"), "worker", seeds: gateway.Seed, batching: true, db: gateway.Db))
        {
            using var http = Client(gateway.Http);
            var key = await SetUpTenantAsync(http, onnx);
            var json = JsonBody(image);
            await WaitForWorkerAsync(http, key, json);
            rows.Add(await MeasureAsync("(d) HTTP, gateway + worker host", n, () => InferJsonAsync(http, key, json)));
            rows.Add(await ConcurrentAsync("(d) 16 clients, batching on", http, key, json, 16, n));
        }

        Console.WriteLine();
        Console.WriteLine($"{"path",-44} {"p50 ms",8} {"p99 ms",8} {"req/s",9}");
        foreach (var (name, ms, seconds) in rows)
            Console.WriteLine($"{name,-44} {Percentiles.Of(ms, 50),8:0.000} {Percentiles.Of(ms, 99),8:0.000} {ms.Count / seconds,9:0}");
        var a = rows[0].Ms;
        foreach (var (name, ms, _) in rows.Skip(1).Where(r => !r.Name.Contains("clients")))
            Console.WriteLine($"{name} / (a): p50 {Percentiles.Of(ms, 50) / Percentiles.Of(a, 50):0.00}x (+{Percentiles.Of(ms, 50) - Percentiles.Of(a, 50):0.000} ms), p99 {Percentiles.Of(ms, 99) / Percentiles.Of(a, 99):0.00}x");
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        return 0;
    }

    private static async Task<(string, List<double>, double)> WorkerActorPathAsync(byte[] onnx, float[] image, int n, OnnxSessionFactory sessions, string data)
    {
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """);
        using var system = ActorSystem.Create("bench", config);
        var cluster = Cluster.Get(system);
        cluster.Join(cluster.SelfAddress);
        var store = new ModelBlobStore(data);
        var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(onnx)).ToLowerInvariant();
        var temp = store.NewTempFile();
        await File.WriteAllBytesAsync(temp, onnx);
        store.Commit(temp, sha);
        using var loaded = new LoadedModel(sessions.Open(onnx));
        var node = new Protocol.Nodes.NodeDescriptor(new NodeId("bench"), "edge", "local", "local", 2, 1024, [], 0, 0, new Dictionary<string, string>());
        var host = system.ActorOf(InferenceHost.Props(node, InferenceSettings.Default, sessions, store), InferenceHost.Name);
        var modelRef = new ModelRef(new TenantId("bench"), "bench", 1, sha, onnx.Length, loaded.Signature, cluster.SelfAddress.ToString());
        var inputs = new Dictionary<string, TensorPayload> { ["image"] = TensorPayloads.Float32([1, 3, Size, Size], image) };
        Task Call() => host.Ask<InferenceSucceeded>(new RunInference("r", modelRef, inputs, 10_000), TimeSpan.FromSeconds(30));
        for (var i = 0; i < 50; i++) await Call();
        var result = await MeasureAsync("(b) worker actor in-process", n, Call);
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        return result;
    }

    private sealed class Host(WebApplication app, string http, string seed, string db, string data) : IAsyncDisposable
    {
        public string Http { get; } = http;
        public string Seed { get; } = seed;
        public string Db { get; } = db;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            _ = data;
        }
    }

    private static async Task<Host> StartAsync(string data, string roles, string? seeds, bool batching, string? db = null)
    {
        Directory.CreateDirectory(data);
        var config = Path.Combine(data, "bench.hocon");
        await File.WriteAllTextAsync(config, $$"""
            akka.loglevel = WARNING
            actorgrid.inference { max-batch-size = {{(batching ? 8 : 1)}}, max-queue-delay = 0ms }
            """);
        var (akka, http) = (FreePort(), FreePort());
        Environment.SetEnvironmentVariable("ACTORGRID_ADMIN_TOKEN", Admin);
        var options = NodeOptions.Resolve(data, $"127.0.0.1:{http}", "127.0.0.1", akka, seeds, roles, null, db, config);
        var app = GridHost.Build(options, ["--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var host = new Host(app, $"http://127.0.0.1:{http}", $"akka.tcp://actorgrid@127.0.0.1:{akka}", db ?? Path.Combine(data, "actorgrid.db"), data);
        if (roles.Contains("gateway"))
        {
            using var probe = Client(host.Http);
            for (var i = 0; i < 600 && !(await probe.GetAsync("/readyz")).IsSuccessStatusCode; i++) await Task.Delay(100);
        }
        return host;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static HttpClient Client(string baseAddress) =>
        new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<string> SetUpTenantAsync(HttpClient http, byte[] onnx)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants")
        {
            Content = new StringContent("""{"id":"bench","name":"bench","zones":[]}""", Encoding.UTF8, "application/json"),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Admin);
        var created = await http.SendAsync(create);
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["apiKey"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var upload = new ByteArrayContent(onnx);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        (await http.PostAsync("/v1/models/bench", upload)).EnsureSuccessStatusCode();
        return key;
    }

    private static string JsonBody(float[] image) =>
        new JsonObject
        {
            ["inputs"] = new JsonObject
            {
                ["image"] = new JsonObject
                {
                    ["shape"] = new JsonArray(1, 3, Size, Size),
                    ["data"] = new JsonArray([.. image.Select(x => (JsonNode)JsonValue.Create(x))]),
                },
            },
            ["originSite"] = "local",
            ["slaMs"] = 80,
        }.ToJsonString();

    private static async Task WarmAsync(HttpClient http, string key, string json)
    {
        // Warm-up: the first calls JIT the gateway and may be refused for that; they do not count.
        for (var i = 0; i < 200; i++)
        {
            try { await InferJsonAsync(http, key, json); }
            catch (HttpRequestException) { await Task.Delay(10); }
        }
    }

    // The worker host's first status may take a moment to reach the gateway.
    private static async Task WaitForWorkerAsync(HttpClient http, string key, string json)
    {
        for (var i = 0; i < 300; i++)
        {
            using var response = await http.PostAsync("/v1/models/bench/infer", new StringContent(json, Encoding.UTF8, "application/json"));
            if (response.IsSuccessStatusCode) break;
            await Task.Delay(100);
        }
        await WarmAsync(http, key, json);
    }

    private static async Task InferJsonAsync(HttpClient http, string key, string json)
    {
        using var response = await http.PostAsync("/v1/models/bench/infer", new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task InferBinaryAsync(HttpClient http, string key, float[] image)
    {
        var content = new ByteArrayContent(MemoryMarshal.AsBytes(image.AsSpan()).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/bench/infer") { Content = content };
        request.Headers.Add("X-Shape", $"1,3,{Size},{Size}");
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
    }

    private static (string, List<double>, double) Measure(string name, int n, Func<Task> call)
    {
        for (var i = 0; i < 50; i++) call().GetAwaiter().GetResult();
        var ms = new List<double>(n);
        var total = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            var t = Stopwatch.GetTimestamp();
            call().GetAwaiter().GetResult();
            ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        Report(name, ms, total.Elapsed.TotalSeconds);
        return (name, ms, total.Elapsed.TotalSeconds);
    }

    private static async Task<(string, List<double>, double)> MeasureAsync(string name, int n, Func<Task> call)
    {
        var ms = new List<double>(n);
        var total = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await call();
            ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        Report(name, ms, total.Elapsed.TotalSeconds);
        return (name, ms, total.Elapsed.TotalSeconds);
    }

    // `clients` loops each sending its share of `n` requests back to back; refusals counted.
    private static async Task<(string, List<double>, double)> ConcurrentAsync(string name, HttpClient http, string key, string json, int clients, int n)
    {
        var ms = new List<double>(n);
        var refused = 0;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            for (var i = 0; i < n / clients; i++)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/v1/models/bench/infer", new StringContent(json, Encoding.UTF8, "application/json"));
                await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                lock (ms)
                {
                    if (response.IsSuccessStatusCode) ms.Add(elapsed); else refused++;
                }
            }
        }));
        Report($"{name} ({refused} refused)", ms, total.Elapsed.TotalSeconds);
        return ($"{name} ({refused} refused)", ms, total.Elapsed.TotalSeconds);
    }

    private static void Report(string name, List<double> ms, double seconds) =>
        Console.WriteLine($"{name}: {Percentiles.Describe(ms)}, {ms.Count / seconds:0} req/s");
}
