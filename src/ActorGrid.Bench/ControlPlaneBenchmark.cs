using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Hosting;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence;

namespace ActorGrid.Bench;

// `actorgrid-bench control-plane`: how fast the embedded grid accepts task submissions (202:
// persisted) and how that compares with what its journal can write at all, in one run:
//   1. the /healthz floor: the HTTP stack alone, same client, same connections;
//   2. the raw journal rate: plain persistent actors in this process persisting in batches into
//      a SQLite file of its own with the grid's journal settings (hocon/actorgrid.hocon);
//   3. closed-loop submissions at each concurrency (tasks that stay queued: no node fits them);
//   4. an open-loop run at 80 % of the best closed-loop rate, for the latency at a set rate;
//   5. submit→running of one placeable task with an empty queue, and again behind every task the
//      runs above left waiting in placement (the cost of a deep queue on each placement pass).
// Every answer other than 2xx is counted and printed; a good run has none.
public static class ControlPlaneBenchmark
{
    public sealed record Options(double Seconds, int[] Concurrency, int Tenants);

    private sealed record Run(int Accepted, int Failed, double Seconds, List<double> LatenciesMs)
    {
        public double Rate => Accepted / Seconds;
    }

    private static int _failures;
    private static readonly ConcurrentDictionary<int, int> FailureCodes = new();

    public static async Task<int> RunAsync(Options options)
    {
        var dir = Directory.CreateTempSubdirectory("actorgrid-bench-cp-");
        var (akka, http) = (EmbeddedGridBenchmark.FreePort(), EmbeddedGridBenchmark.FreePort());
        var node = Path.Combine(AppContext.BaseDirectory, "ActorGrid.Node.dll");
        using var grid = EmbeddedGridBenchmark.StartGrid(node, dir.FullName, akka, http);
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            await EmbeddedGridBenchmark.WaitReadyAsync(client, grid);
            var keys = new List<string>();
            for (var t = 0; t < options.Tenants; t++) keys.Add(await CreateTenantAsync(client, $"cp{t}"));
            Console.WriteLine($"control-plane: embedded grid (SQLite, {Environment.ProcessorCount} cores), {options.Tenants} tenants, {options.Seconds:0.#} s per run");

            await ClosedLoopAsync(client, 16, 1, (c, i) => Healthz(c)); // warm-up
            var healthz = await ClosedLoopAsync(client, 16, options.Seconds, (c, i) => Healthz(c));
            Console.WriteLine($"GET /healthz floor, 16 clients:         {healthz.Rate,9:0} req/s   {Describe(healthz.LatenciesMs)}");

            var journal = await RawJournalAsync(Path.Combine(dir.FullName, "raw-journal.db"), options.Seconds, writers: 8, batch: 100);
            Console.WriteLine($"raw journal (8 actors, PersistAll x100): {journal,9:0} events/s");
            // What the journal gives writes the size of a submission's (one event each, from many
            // actors at once): the journal batches them across actors, as it does submissions.
            var single = await RawJournalAsync(Path.Combine(dir.FullName, "raw-journal-single.db"), options.Seconds, writers: 64, batch: 1);
            Console.WriteLine($"raw journal (64 actors, Persist x1):    {single,9:0} events/s");

            // The baseline for submit→running: the same placeable task with nothing queued ahead of it.
            var emptyQueue = await SubmitToStartAsync(client, keys[0], "cp-start-empty");
            var submitted = 0;
            Task<bool> Submit(HttpClient c, int clientIndex)
            {
                var n = Interlocked.Increment(ref submitted);
                return SubmitAsync(c, keys[clientIndex % keys.Count], $"cp-{n}");
            }
            await ClosedLoopAsync(client, 16, 2, Submit); // warm-up: JIT, shard allocation
            var (rssBefore, queuedBefore) = (ResidentMiB(grid), submitted);
            var best = 0.0;
            Console.WriteLine("POST /v1/tasks (2 events per task: submitted + queued), closed loop:");
            foreach (var c in options.Concurrency)
            {
                var run = await ClosedLoopAsync(client, c, options.Seconds, Submit);
                best = Math.Max(best, run.Rate);
                Console.WriteLine($"  {c,3} clients: {run.Rate,8:0.0} tasks/s   {Describe(run.LatenciesMs)}   " +
                                  $"{run.Rate / journal * 100,5:0.0} % of raw journal   {run.Rate / healthz.Rate * 100,5:0.0} % of /healthz");
            }
            var target = best * 0.8;
            var open = await OpenLoopAsync(client, target, options.Seconds, Submit);
            Console.WriteLine($"  open loop at 80 % of best ({target:0.0}/s): {open.Rate,8:0.0} tasks/s   {Describe(open.LatenciesMs)}");
            Console.WriteLine($"best accept rate / raw journal rate: {best / journal:0.000}   best / /healthz: {best / healthz.Rate:0.000}");
            // Every task submitted above is still waiting in placement (no node fits it): a placeable
            // task behind them shows what a deep queue costs each placement pass.
            var deepQueue = await SubmitToStartAsync(client, keys[0], "cp-start-deep");
            Console.WriteLine($"submit -> running, one placeable task: {emptyQueue.TotalMilliseconds:0} ms with an empty queue, " +
                              $"{deepQueue.TotalMilliseconds:0} ms behind {submitted} waiting tasks (ratio {deepQueue / emptyQueue:0.00})");
            // What a waiting task costs the node (gateway, core and placement in one process here):
            // resident memory against the tasks queued since the warm-up. RSS, so it includes what
            // the GC has not returned yet; a growth per task that stays small and constant is the goal.
            var rssAfter = ResidentMiB(grid);
            var queued = submitted - queuedBefore;
            Console.WriteLine($"node resident memory: {rssBefore:0} MiB with {queuedBefore} tasks queued, {rssAfter:0} MiB with {submitted} " +
                              $"({(rssAfter - rssBefore) * 1024 / Math.Max(1, queued):0.0} KiB per task queued meanwhile)");
            Console.WriteLine($"non-2xx answers: {_failures}{(FailureCodes.IsEmpty ? "" : " (" + string.Join(", ", FailureCodes.Select(kv => $"{kv.Key}: {kv.Value}")) + ")")}");
            return _failures == 0 ? 0 : 1;
        }
        finally
        {
            grid.Kill(entireProcessTree: true);
            grid.WaitForExit();
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static string Describe(List<double> ms) =>
        ms.Count == 0 ? "no answers" : $"p50 {Percentiles.Of(ms, 50),7:0.0} ms   p99 {Percentiles.Of(ms, 99),7:0.0} ms";

    private static async Task<bool> Healthz(HttpClient client)
    {
        using var response = await client.GetAsync("/healthz");
        await response.Content.ReadAsByteArrayAsync();
        return Count(response.StatusCode);
    }

    private static bool Count(HttpStatusCode code)
    {
        if ((int)code is >= 200 and < 300) return true;
        Interlocked.Increment(ref _failures);
        FailureCodes.AddOrUpdate((int)code, 1, (_, n) => n + 1);
        return false;
    }

    // A task no node fits (more cpu than this machine has) stays queued: the run measures the
    // accept path only, not placement or execution.
    private static async Task<bool> SubmitAsync(HttpClient client, string key, string idempotencyKey)
    {
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks")
        {
            Content = new StringContent(
                $$$"""{"command":["true"],"requirements":{"cpu":4000,"memoryMiB":1},"maxAttempts":1,"maxPricePerHour":0.01,"timeoutSeconds":60,"idempotencyKey":"{{{idempotencyKey}}}"}""",
                Encoding.UTF8, "application/json"),
        };
        submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var response = await client.SendAsync(submit);
            await response.Content.ReadAsByteArrayAsync();
            return Count(response.StatusCode);
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref _failures);
            FailureCodes.AddOrUpdate(0, 1, (_, n) => n + 1);
            return false;
        }
    }

    // How long a task that fits this machine takes from its POST until its task reads running (or
    // already succeeded), polled every 20 ms.
    private static async Task<TimeSpan> SubmitToStartAsync(HttpClient client, string key, string idempotencyKey)
    {
        var clock = Stopwatch.StartNew();
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks")
        {
            Content = new StringContent(
                $$$"""{"command":["sleep","1"],"requirements":{"cpu":0.1,"memoryMiB":32},"maxAttempts":1,"timeoutSeconds":60,"idempotencyKey":"{{{idempotencyKey}}}"}""",
                Encoding.UTF8, "application/json"),
        };
        submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(submit);
        var body = await response.Content.ReadAsStringAsync();
        if (!Count(response.StatusCode)) throw new InvalidOperationException($"the placeable task was refused: {(int)response.StatusCode} {body}");
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/v1/tasks/{id}");
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var read = await client.SendAsync(get);
            var state = JsonNode.Parse(await read.Content.ReadAsStringAsync())?["state"]?.GetValue<string>();
            if (state is "running" or "succeeded") return clock.Elapsed;
            if (state is "failed" or "cancelled") throw new InvalidOperationException($"the placeable task ended {state}");
            await Task.Delay(20);
        }
        throw new TimeoutException("the placeable task did not start within 120 s");
    }

    private static async Task<Run> ClosedLoopAsync(HttpClient client, int clients, double seconds, Func<HttpClient, int, Task<bool>> call)
    {
        var latencies = new ConcurrentBag<List<double>>();
        var (ok, failed) = (0, 0);
        var sw = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var mine = new List<double>();
            while (sw.Elapsed < until)
            {
                var started = sw.Elapsed;
                if (await call(client, i)) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
                mine.Add((sw.Elapsed - started).TotalMilliseconds);
            }
            latencies.Add(mine);
        })));
        return new Run(ok, failed, sw.Elapsed.TotalSeconds, [.. latencies.SelectMany(l => l)]);
    }

    // Requests start on a fixed schedule whatever the answers do; latency counts from the planned
    // start, so a stall shows up in the tail instead of slowing the offered rate.
    private static async Task<Run> OpenLoopAsync(HttpClient client, double rate, double seconds, Func<HttpClient, int, Task<bool>> call)
    {
        var latencies = new ConcurrentBag<double>();
        var (ok, failed) = (0, 0);
        var total = (int)(rate * seconds);
        var sw = Stopwatch.StartNew();
        var inflight = new List<Task>(total);
        for (var n = 0; n < total; n++)
        {
            var planned = TimeSpan.FromSeconds(n / rate);
            var wait = planned - sw.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            var index = n;
            inflight.Add(Task.Run(async () =>
            {
                if (await call(client, index)) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
                latencies.Add((sw.Elapsed - planned).TotalMilliseconds);
            }));
        }
        await Task.WhenAll(inflight);
        return new Run(ok, failed, sw.Elapsed.TotalSeconds, [.. latencies]);
    }

    private static async Task<string> CreateTenantAsync(HttpClient client, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants")
        {
            Content = new StringContent(
                $$$"""{"id":"{{{id}}}","name":"Control plane bench","quota":{"maxCpu":4096,"budget":1000000000},"limits":{"submitPerSecond":10000,"burst":100000,"maxQueued":1000000}}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", EmbeddedGridBenchmark.Token);
        var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating tenant {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["apiKey"]!.GetValue<string>();
    }

    private static double ResidentMiB(Process process)
    {
        process.Refresh();
        return process.WorkingSet64 / (1024.0 * 1024);
    }

    // The grid's own journal settings (akka.persistence from hocon/actorgrid.hocon) on a SQLite file
    // prepared as the grid prepares its own, written by plain persistent actors in batches.
    private static async Task<double> RawJournalAsync(string file, double seconds, int writers, int batch)
    {
        var db = DatabaseTarget.Sqlite(file);
        db.Prepare();
        var baseConfig = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "actorgrid.hocon")));
        var config = ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = WARNING\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = off")
            .WithFallback(ConfigurationFactory.ParseString(db.ToHocon()))
            .WithFallback(baseConfig);
        var setup = BootstrapSetup.Create().WithConfig(config);
        using var system = ActorSystem.Create("raw-journal", db.PersistenceSetup() is { } pragmas ? setup.And(pragmas) : ActorSystemSetup.Create(setup));
        var deadline = DateTime.UtcNow.AddSeconds(1); // warm-up: table creation, JIT
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i => system.ActorOf(Props.Create(() => new BatchWriter($"warm-{i}", batch)))
            .Ask<long>(deadline, TimeSpan.FromSeconds(120))));
        var sw = Stopwatch.StartNew();
        deadline = DateTime.UtcNow.AddSeconds(seconds);
        var counts = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => system.ActorOf(Props.Create(() => new BatchWriter($"raw-{i}", batch)))
            .Ask<long>(deadline, TimeSpan.FromSeconds(seconds + 120))));
        var rate = counts.Sum() / sw.Elapsed.TotalSeconds;
        await system.Terminate();
        return rate;
    }

    // Persists batches of `batch` events of 256 bytes (about a task event's size) until the
    // deadline, then answers how many it wrote.
    private sealed class BatchWriter : ReceivePersistentActor
    {
        private static readonly byte[] Payload = new byte[256];
        private long _written;

        public BatchWriter(string id, int batch)
        {
            PersistenceId = "bench/" + id;
            Command<DateTime>(deadline =>
            {
                var replyTo = Sender;
                void Next()
                {
                    if (DateTime.UtcNow >= deadline)
                    {
                        replyTo.Tell(_written);
                        return;
                    }
                    PersistAll(Enumerable.Repeat(Payload, batch), _ => _written++);
                    DeferAsync(0, _ => Next());
                }
                Next();
            });
        }

        public override string PersistenceId { get; }
    }
}

// `actorgrid-bench control-plane …`: its options, as the other subcommands declare theirs.
public sealed class ControlPlaneCommand : Command
{
    private readonly Option<double> _seconds = BenchCommandLine.Seconds("--seconds", "Length of each measured run", 5);
    private readonly Option<int[]> _concurrency = new("--concurrency")
    {
        Description = "Concurrent HTTP clients per run, comma-separated, e.g. 16,32,64",
        HelpName = "a,b",
        Arity = ArgumentArity.ExactlyOne,
        DefaultValueFactory = _ => [16, 32, 64],
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return [16, 32, 64];
            var token = result.Tokens[0].Value;
            var levels = token.Split(',').Select(BenchCommandLine.WholeAtLeastOne).ToArray();
            if (levels.All(n => n is not null)) return [.. levels.Select(n => n!.Value)];
            result.AddError($"--concurrency takes whole numbers of at least 1 separated by commas, e.g. 16,32,64, not '{token}'.");
            return [];
        },
    };
    private readonly Option<int> _tenants = BenchCommandLine.Count("--tenants", "Tenants the clients spread over", 8);

    public ControlPlaneCommand() : base("control-plane", "Task submissions accepted per second on the embedded grid.")
    {
        Options.Add(_seconds);
        Options.Add(_concurrency);
        Options.Add(_tenants);
        SetAction((result, _) => ControlPlaneBenchmark.RunAsync(Read(result)));
    }

    public ControlPlaneBenchmark.Options Read(ParseResult result) =>
        new(result.GetValue(_seconds), result.GetValue(_concurrency)!, result.GetValue(_tenants));
}
