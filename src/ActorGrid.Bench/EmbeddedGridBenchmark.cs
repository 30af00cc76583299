using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ActorGrid.Bench;

// 1. cluster formation: process start until /readyz answers 200;
// 2. baseline: spawning `true` directly, the floor any process executor must pay;
// 3. latency: tasks submitted one at a time, submit→running and submit→succeeded;
// 4. throughput: tasks submitted by N concurrent clients, persisted-and-finished per second.
public static class EmbeddedGridBenchmark
{
    internal const string Token = "bench-token";

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var dir = Directory.CreateTempSubdirectory("actorgrid-bench-");
        var (akka, http) = (FreePort(), FreePort());
        var node = Path.Combine(AppContext.BaseDirectory, "ActorGrid.Node.dll");
        var clock = Stopwatch.StartNew();
        using var grid = StartGrid(node, dir.FullName, akka, http);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
        try
        {
            await WaitReadyAsync(client, grid);
            var formation = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine($"embedded grid ready (cluster of one formed, shards up) in {formation:0} ms");

            var baseline = SpawnBaseline(options.BaselineRuns);
            Console.WriteLine($"baseline: spawn+wait `true` directly      {Percentiles.Describe(baseline)}");

            var key = await CreateTenantAsync(client);
            await RunOneAsync(client, key); // warm-up: JIT, first shard allocation, first journal writes

            var running = new List<double>();
            var finished = new List<double>();
            for (var i = 0; i < options.Tasks; i++)
            {
                var (toRunning, toDone) = await RunOneAsync(client, key);
                running.Add(toRunning);
                finished.Add(toDone);
            }
            Console.WriteLine($"submit→running (sequential, journal time) {Percentiles.Describe(running)}");
            Console.WriteLine($"submit→succeeded (client-observed)        {Percentiles.Describe(finished)}");
            Console.WriteLine($"ratio p50 submit→succeeded / baseline spawn p50: {Percentiles.Of(finished, 50) / Percentiles.Of(baseline, 50):0.0}x");

            var sw = Stopwatch.StartNew();
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= options.Tasks) await RunOneAsync(client, key);
            }));
            Console.WriteLine($"throughput: {options.Tasks} tasks submitted, placed, run and finished by {options.Concurrency} clients in {sw.Elapsed.TotalSeconds:0.0} s = {options.Tasks / sw.Elapsed.TotalSeconds:0.0} tasks/s");
            return 0;
        }
        finally
        {
            grid.Kill(entireProcessTree: true);
            grid.WaitForExit();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    internal static Process StartGrid(string node, string dir, int akka, int http)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { node, "--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", Path.Combine(dir, "data") }) psi.ArgumentList.Add(a);
        psi.Environment["ACTORGRID_ADMIN_TOKEN"] = Token;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitReadyAsync(HttpClient client, Process grid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && !grid.HasExited)
        {
            try
            {
                if ((await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(20);
        }
        throw new InvalidOperationException("the embedded grid did not become ready");
    }

    private static List<double> SpawnBaseline(int runs)
    {
        var result = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(new ProcessStartInfo("true") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.WaitForExit();
            result.Add(sw.Elapsed.TotalMilliseconds);
        }
        return result;
    }

    private static async Task<string> CreateTenantAsync(HttpClient client)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants")
        {
            Content = new StringContent("""{"id":"bench","name":"Benchmark","quota":{"maxCpu":100000}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["apiKey"]!.GetValue<string>();
    }

    // One task: submit, poll until it finishes; submit→running is read from the task's own
    // persisted history (submitted.at → started.at), submit→succeeded from the client's clock.
    private static async Task<(double Running, double Done)> RunOneAsync(HttpClient client, string key)
    {
        var sw = Stopwatch.StartNew();
        var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks")
        {
            Content = new StringContent("""{"command":["true"],"requirements":{"cpu":0.01,"memoryMiB":1},"maxAttempts":1}""", Encoding.UTF8, "application/json"),
        };
        submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var accepted = await client.SendAsync(submit);
        if (accepted.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"submit failed: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        var id = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        while (true)
        {
            var get = new HttpRequestMessage(HttpMethod.Get, $"/v1/tasks/{id}");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var task = JsonNode.Parse(await (await client.SendAsync(get)).Content.ReadAsStringAsync())!;
            var state = task["state"]!.GetValue<string>();
            if (state is "succeeded" or "failed" or "cancelled")
            {
                if (state != "succeeded") throw new InvalidOperationException($"task {id} ended {state}: {task["reason"]}");
                var history = task["history"]!.AsArray();
                DateTimeOffset At(string type) => DateTimeOffset.Parse(history.First(h => h!["type"]!.GetValue<string>() == type)!["at"]!.GetValue<string>());
                return ((At("started") - At("submitted")).TotalMilliseconds, sw.Elapsed.TotalMilliseconds);
            }
            await Task.Delay(2);
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
