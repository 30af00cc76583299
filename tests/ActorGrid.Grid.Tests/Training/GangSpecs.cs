using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Training;

// Training gangs split over hosts, on real hosts over loopback sharing one PostgreSQL journal: a
// core+gateway host and three workers with one (declared) chip each, so no host can hold a 2-rank
// gang and placement must split it. The ranks rendezvous over real sockets (gloo) across hosts.
public class GangSpecs(ITestOutputHelper output)
{
    private const string Token = "gang-token";
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task Should_train_the_sample_as_a_gang_across_two_hosts_and_resume_it_from_the_checkpoint_when_a_rank_host_is_killed()
    {
        await using var grid = await GangGrid.StartAsync("gang-train", workers: 3);
        var key = await grid.Api.CreateTenantAsync(Token, "acme", []);
        var bundle = await UploadSampleAsync(grid.Api, key);
        var model = "gauge-dial-" + Guid.NewGuid().ToString("n")[..6];
        // 30 steps an epoch (1920 dials, 2 ranks, 32 a batch); slowed so the kill lands mid-run.
        var body = new JsonObject
        {
            ["kind"] = "training",
            ["bundle"] = bundle,
            ["command"] = new JsonArray("python3", "train.py", "--epochs", "3", "--samples", "1920", "--val-samples", "256", "--batch-size", "32", "--sleep-per-step", "0.1"),
            ["env"] = new JsonObject { ["OMP_NUM_THREADS"] = "1" },
            ["workers"] = 2,
            ["timeoutSeconds"] = 600,
            ["requirements"] = OneChipRank(),
            ["lane"] = "batch",
            // No failure of its own allowed: a host's death must not use one up.
            ["maxAttempts"] = 1,
            ["output"] = new JsonObject { ["model"] = model, ["file"] = "model.onnx" },
        };
        var (status, accepted) = await grid.Api.SubmitTaskAsync(key, body);
        Assert.True(status == HttpStatusCode.Accepted, accepted?.ToJsonString());
        var id = Tasks.Id(accepted);

        var running = await grid.Api.WaitForStateAsync(key, id, s => s == "running", Long);
        var first = running["attempts"]![0]!;
        var gang = first["gang"]!.AsArray();
        Assert.Equal(2, gang.Count);
        Assert.Equal([0, 1], gang.Select(m => m!["firstRank"]!.GetValue<int>()));
        Assert.NotEqual(gang[0]!["node"]!.GetValue<string>(), gang[1]!["node"]!.GetValue<string>());
        var placedIn = DateTimeOffset.Parse(first["placedAt"]!.GetValue<string>()) - DateTimeOffset.Parse(running["submittedAt"]!.GetValue<string>());

        // After the first epoch's checkpoint, SIGKILL the host of node rank 1.
        await WaitForMetricAsync(grid.Api, key, id, "val_loss", p => p["attempt"]!.GetValue<int>() == 1);
        var victimNode = gang[1]!["node"]!.GetValue<string>();
        var killedAt = Stopwatch.StartNew();
        var killedAtUtc = DateTimeOffset.UtcNow;
        await grid.Worker(victimNode).KillAsync();
        var (runningAfter, resumed, resumedAfter) = await WaitForResumeAsync(grid.Api, key, id, killedAt);
        // Its first step point, whatever the value: a fresh start would report low steps first.
        var firstResumed = await WaitForMetricAsync(grid.Api, key, id, "step", p => p["attempt"]!.GetValue<int>() > 1);

        var done = await grid.Api.WaitForStateAsync(key, id, Tasks.IsTerminal, Long);
        var attempts = done["attempts"]!.AsArray();
        var last = attempts[^1]!;
        var recounted = done["history"]!.AsArray().FirstOrDefault(h => h!["type"]!.GetValue<string>() == "attempt-recounted");
        var firstEnded = attempts[0]!["endedAt"];
        // Measured before anything is asserted, so a failing run still reports them.
        string After(JsonNode? at) => at is null ? "never" : $"{(DateTimeOffset.Parse(at.GetValue<string>()) - killedAtUtc).TotalSeconds:0.0} s";
        output.WriteLine($"gang placed over 2 hosts {placedIn.TotalSeconds:0.00} s after submission; host {victimNode} killed; " +
            $"attempt {last["attempt"]} placed {After(last["placedAt"])} and started {After(last["startedAt"])} after the kill " +
            $"(seen running {runningAfter.TotalSeconds:0.0} s), first metric with step > 0 of attempt {resumed["attempt"]} (step {resumed["value"]}) seen {resumedAfter.TotalSeconds:0.0} s after; " +
            $"attempt 1 ended {After(firstEnded)} after the kill{(recounted is null ? "" : $", recounted {After(recounted["at"])} after")}; {attempts.Count} attempts, outcomes {string.Join(",", attempts.Select(a => a!["outcome"]))}");
        Assert.True(Tasks.State(done) == "succeeded", $"{done.ToJsonString()}\ncore log:\n{grid.Core.Tail(60)}");
        // One re-placement, straight onto the two live hosts: the dead one was offered nothing.
        Assert.True(attempts.Count == 2, done.ToJsonString());
        Assert.Equal(2, resumed["attempt"]!.GetValue<int>());
        Assert.DoesNotContain(victimNode, last["gang"]!.AsArray().Select(m => m!["node"]!.GetValue<string>()));
        // Rank 0's host reported the first attempt failed (its peer's sockets closed) seconds before
        // the victim was declared lost; on the last allowed attempt that verdict waited for the
        // news (actorgrid.tasks.gang-echo-grace), so the attempt ended as the node loss it was.
        Assert.True(attempts[0]!["outcome"]!.GetValue<string>() == "node-lost", done.ToJsonString());
        Assert.Equal(victimNode, attempts[0]!["endedBy"]?.GetValue<string>());
        Assert.DoesNotContain(attempts, a => a!["outcome"]?.GetValue<string>() is "failed" or "timed-out");
        // The first step the resumed attempt reports is past the first epoch's 30 steps: it went on from the checkpoint.
        Assert.True(firstResumed["value"]!.GetValue<double>() > 30, $"resumed at step {firstResumed["value"]}: {done.ToJsonString()}");
        var started = done["history"]!.AsArray().Last(h => h!["type"]!.GetValue<string>() == "started")!;
        Assert.StartsWith("resumed from checkpoint", started["checkpoint"]?.GetValue<string>());

        // The output becomes a model version a moment after the task succeeds.
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (done["model"]?["version"] is null && DateTime.UtcNow < until)
        {
            await Task.Delay(250);
            done = await grid.Api.GetTaskAsync(key, id);
        }
        var version = done["model"]?["version"]?.GetValue<int>() ?? throw new InvalidOperationException("no model registered: " + done.ToJsonString());
        var (got, registered) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/models/{model}@{version}", key, null);
        Assert.Equal(HttpStatusCode.OK, got);
        var lineage = registered!["lineage"]!;
        Assert.Equal(id, lineage["task"]!.GetValue<string>());
        Assert.Equal(last["attempt"]!.GetValue<int>(), lineage["attempt"]!.GetValue<int>());
        Assert.Equal(bundle, lineage["bundle"]!.GetValue<string>());
        Assert.NotNull(lineage["checkpointSha256"]);
    }

    [Fact]
    public async Task Should_run_two_gangs_of_two_on_three_free_chips_one_after_the_other_without_a_deadlock()
    {
        await using var grid = await GangGrid.StartAsync("gang-pair", workers: 3);
        var acme = await grid.Api.CreateTenantAsync(Token, "acme", []);
        var globex = await grid.Api.CreateTenantAsync(Token, "globex", []);
        // Each rank joins the gloo rendezvous across hosts, waits for the other, holds its chip a while.
        const string Script = "import time, torch.distributed as d; d.init_process_group('gloo', init_method='env://'); d.barrier(); time.sleep(4); print('rank', d.get_rank(), 'of', d.get_world_size())";
        JsonObject Gang() => new()
        {
            ["kind"] = "training",
            ["command"] = new JsonArray("python3", "-c", Script),
            ["workers"] = 2,
            ["timeoutSeconds"] = 300,
            ["requirements"] = OneChipRank(),
            ["lane"] = "batch",
            ["maxAttempts"] = 1,
        };
        var clock = Stopwatch.StartNew();
        var a = Tasks.Id((await grid.Api.SubmitTaskAsync(acme, Gang())).Body);
        var b = Tasks.Id((await grid.Api.SubmitTaskAsync(globex, Gang())).Body);

        var doneA = await grid.Api.WaitForStateAsync(acme, a, Tasks.IsTerminal, Long);
        var doneB = await grid.Api.WaitForStateAsync(globex, b, Tasks.IsTerminal, Long);

        Assert.True(Tasks.State(doneA) == "succeeded", doneA.ToJsonString());
        Assert.True(Tasks.State(doneB) == "succeeded", doneB.ToJsonString());
        Assert.Contains("rank 0 of 2", doneA["stdoutTail"]!.GetValue<string>());
        var spans = new[] { doneA, doneB }.Select(t => t["attempts"]!.AsArray().Single()!)
            .Select(x => (Start: DateTimeOffset.Parse(x["startedAt"]!.GetValue<string>()), End: DateTimeOffset.Parse(x["endedAt"]!.GetValue<string>()), Gang: x["gang"]!.AsArray()))
            .OrderBy(x => x.Start).ToList();
        Assert.All(spans, s => Assert.Equal(2, s.Gang.Count));
        // Three chips hold one gang at a time: the second started only after the first ended.
        Assert.True(spans[1].Start >= spans[0].End, $"the gangs overlapped: {string.Join(" / ", spans)}");
        output.WriteLine($"two gangs of 2 on 3 chips: first ran {spans[0].Start:HH:mm:ss.fff}-{spans[0].End:HH:mm:ss.fff}, " +
            $"second {spans[1].Start:HH:mm:ss.fff}-{spans[1].End:HH:mm:ss.fff}; both done in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static JsonObject OneChipRank() =>
        new() { ["cpu"] = 1, ["memoryMiB"] = 1024, ["chips"] = new JsonObject { ["model"] = "any", ["count"] = 1 } };

    // After the kill: how long until an attempt after the first is running, and until it reports
    // a step metric above 0 (the point, and when it was seen). Polled every 200 ms.
    private static async Task<(TimeSpan Running, JsonNode Step, TimeSpan Stepped)> WaitForResumeAsync(ApiClient api, string key, string id, Stopwatch since)
    {
        var until = DateTime.UtcNow + Long;
        TimeSpan? running = null;
        while (DateTime.UtcNow < until)
        {
            var task = await api.GetTaskAsync(key, id);
            if (running is null && task["attempts"]!.AsArray().Any(a => a!["attempt"]!.GetValue<int>() > 1 && a["startedAt"] is not null)) running = since.Elapsed;
            if (running is not null)
            {
                var (_, metrics) = await api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{id}/metrics", key, null);
                if (metrics?["series"]?["step"]?.AsArray().FirstOrDefault(p => p!["attempt"]!.GetValue<int>() > 1 && p["value"]!.GetValue<double>() > 0) is { } point)
                    return (running.Value, point, since.Elapsed);
            }
            if (Tasks.IsTerminal(Tasks.State(task))) throw new InvalidOperationException($"task ended before it resumed: {task.ToJsonString()}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"{id} did not resume within {Long}");
    }

    private static async Task<JsonNode> WaitForMetricAsync(ApiClient api, string key, string id, string name, Func<JsonNode, bool> match)
    {
        var until = DateTime.UtcNow + Long;
        JsonNode? metrics = null;
        while (DateTime.UtcNow < until)
        {
            (_, metrics) = await api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{id}/metrics", key, null);
            if (metrics?["series"]?[name]?.AsArray().FirstOrDefault(p => match(p!)) is { } point) return point;
            var task = await api.GetTaskAsync(key, id);
            if (Tasks.IsTerminal(Tasks.State(task))) throw new InvalidOperationException($"task ended before a matching {name} point: {task.ToJsonString()}");
            await Task.Delay(250);
        }
        throw new TimeoutException($"no matching {name} point for {id}: {metrics?.ToJsonString()}");
    }

    private static async Task<string> UploadSampleAsync(ApiClient api, string key)
    {
        string? sample = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && sample is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "samples", "gauge-dial", "train.py"))) sample = Path.Combine(dir.FullName, "samples", "gauge-dial");
        Assert.NotNull(sample);
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var file in Directory.GetFiles(sample, "*.py")) tar.WriteEntry(file, Path.GetFileName(file));
        var upload = ApiClient.Request(HttpMethod.Post, "/v1/bundles", key);
        upload.Content = new ByteArrayContent(bytes.ToArray());
        upload.Content.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        var (status, body) = await api.SendAsync(upload);
        Assert.True(status == HttpStatusCode.Created, body?.ToJsonString());
        return body!["sha256"]!.GetValue<string>();
    }

    // A core+gateway host and `workers` worker hosts with one declared A100 each (gpu-1, gpu-2, …).
    private sealed class GangGrid : IAsyncDisposable
    {
        private readonly PostgresDatabase _db;
        private readonly TestDirectory _dir;
        private readonly Dictionary<string, GridProcess> _workers = new();

        private GangGrid(PostgresDatabase db, TestDirectory dir, GridProcess core, ApiClient api)
        {
            (_db, _dir, Core, Api) = (db, dir, core, api);
        }

        public GridProcess Core { get; }

        public ApiClient Api { get; }

        public GridProcess Worker(string node) => _workers[node];

        public static async Task<GangGrid> StartAsync(string label, int workers)
        {
            var db = await PostgresDatabase.CreateAsync(label.Replace("-", ""));
            var dir = TestDirectory.Create(label);
            var ports = FreePorts.Next(2 + 2 * workers);
            var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
            string[] Common(string name, int port, int http) =>
                ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", db.Url, "--data", dir.Sub(name), "--http", $"127.0.0.1:{http}"];
            var core = GridProcess.Start("core", [.. Common("core", ports[0], ports[1]), "--roles", "core,gateway"], Token, dir.Path);
            var grid = new GangGrid(db, dir, core, new ApiClient(core.HttpBase));
            for (var i = 1; i <= workers; i++)
            {
                var id = $"gpu-{i}";
                var descriptor = Path.Combine(dir.Path, id + ".hocon");
                await File.WriteAllTextAsync(descriptor, $$"""
                    node {
                      id = {{id}}
                      tier = regional
                      cpu = 2
                      memory-mib = 4096
                      chips = [ { model = nvidia-a100, count = 1, memory-mib = 40960 } ]
                    }
                    """);
                grid._workers[id] = GridProcess.Start(id, [.. Common(id, ports[2 * i], ports[2 * i + 1]), "--roles", "worker", "--node", descriptor], Token, dir.Path);
            }
            await core.WaitUntilReadyAsync(TimeSpan.FromSeconds(150));
            await grid.Api.WaitForReadyNodesAsync(Token, workers, TimeSpan.FromSeconds(150));
            return grid;
        }

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            foreach (var worker in _workers.Values) await worker.DisposeAsync();
            await Core.DisposeAsync();
            await _db.DisposeAsync();
            _dir.Dispose();
        }
    }
}
