using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Grid;

// Placement across real hosts sharing a PostgreSQL journal: lanes preempt, residency holds.
public class PlacementSpecs
{
    private const string Token = "placement-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Should_preempt_a_batch_task_for_a_realtime_task_on_a_one_slot_worker_and_finish_both()
    {
        await using var db = await PostgresDatabase.CreateAsync("preempt");
        using var dir = TestDirectory.Create("preempt");
        var oneSlot = Descriptor(dir, "one-slot", zone: "CN-ZJ", cpu: 1, pricePerCoreHour: 36);
        var (core, worker) = (FreePorts.Next(), FreePorts.Next());
        var http = FreePorts.Next();
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{core}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", core, seed, "core,gateway", "--http", $"127.0.0.1:{http}"), Token, dir.Path);
        await using var workerHost = GridProcess.Start("worker", Host(db, dir, "worker", worker, seed, "worker", "--node", oneSlot), Token, dir.Path);
        await coreHost.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(coreHost.HttpBase);
        await WaitForNodesAsync(api, 1);
        var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);

        // A checkpointing batch job: each step is saved, and a later attempt resumes from the last one.
        const string training = """
            f="$ACTORGRID_CHECKPOINT_DIR/step"; s=$(cat "$f" 2>/dev/null || echo 0); echo "resumed at $s"; i=$s
            while [ "$i" -lt 6 ]; do i=$((i+1)); echo "$i" > "$f"; echo "{\"progress\":0.$i}"; sleep 1; done
            echo "batch done"
            """;
        var batch = Tasks.Shell(training);
        batch["preemptible"] = true;
        var batchId = Tasks.Id((await api.SubmitTaskAsync(key, batch)).Body);
        await api.WaitForStateAsync(key, batchId, s => s == "running", Long);
        await WaitForProgressAsync(api, key, batchId);

        var realtime = Tasks.Shell("echo inspected");
        realtime["lane"] = "realtime";
        var realtimeId = Tasks.Id((await api.SubmitTaskAsync(key, realtime)).Body);

        var rt = await api.WaitForStateAsync(key, realtimeId, Tasks.IsTerminal, Long);
        Assert.Equal("succeeded", Tasks.State(rt));
        Assert.Equal([batchId], rt["placement"]!["preempted"]!.AsArray().Select(p => p!.GetValue<string>()));

        var done = await api.WaitForStateAsync(key, batchId, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        var attempts = done["attempts"]!.AsArray();
        Assert.Equal("preempted", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal("succeeded", attempts[^1]!["outcome"]!.GetValue<string>());
        var output = done["stdoutTail"]!.GetValue<string>();
        Assert.EndsWith("batch done\n", output);
        var resumedAt = int.Parse(output.Split('\n')[0].Replace("resumed at ", ""));
        Assert.True(resumedAt > 0, $"the second attempt should resume from its checkpoint, got: {output}");
        // Every attempt that ran is billed at the node's price (36/h per core) and the tenant keeps the spend.
        var costs = attempts.Concat(rt["attempts"]!.AsArray()).Select(a => a!["cost"]!.GetValue<decimal>()).ToList();
        // The last attempt is billed for the time it ran (how far it got before preemption varies
        // with the machine's load, so the expected cost comes from its own start and end).
        var last = attempts[^1]!;
        var ran = DateTimeOffset.Parse(last["endedAt"]!.GetValue<string>()) - DateTimeOffset.Parse(last["startedAt"]!.GetValue<string>());
        var billed = last["cost"]!.GetValue<decimal>();
        Assert.True(billed > 0 && Math.Abs((double)billed - ran.TotalHours * last["pricePerHour"]!.GetValue<double>()) < 0.002, done.ToJsonString());
        var tenant = await WaitForSpendAsync(api, "acme", costs.Sum());
        Assert.Equal(costs.Sum(), tenant["spent"]!.GetValue<decimal>());

        // The realtime task ran while the batch task was out of the way.
        Assert.True(DateTimeOffset.Parse(rt["attempts"]![0]!["endedAt"]!.GetValue<string>()) <= DateTimeOffset.Parse(attempts[^1]!["startedAt"]!.GetValue<string>()));
    }

    // queue-discipline = service: a short batch task (told 5 s) that finds the only slot taken by a
    // preemptible batch run told 1 h evicts it, as the simulator's shortest-remaining-first does;
    // the long run goes back to the queue and resumes from its checkpoint once the short one is done.
    [Fact]
    public async Task Should_evict_a_long_batch_run_for_a_short_one_under_the_service_discipline_and_resume_it()
    {
        await using var db = await PostgresDatabase.CreateAsync("service");
        using var dir = TestDirectory.Create("service");
        var config = Path.Combine(dir.Path, "service.hocon");
        File.WriteAllText(config, "actorgrid.placement { queue-discipline = service, service-preemption-min-run = 1s }");
        var oneSlot = Descriptor(dir, "one-slot", zone: "CN-ZJ", cpu: 1);
        var ports = FreePorts.Next(3);
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", ports[0], seed, "core,gateway", "--http", $"127.0.0.1:{ports[2]}", "--config", config), Token, dir.Path);
        await using var workerHost = GridProcess.Start("worker", Host(db, dir, "worker", ports[1], seed, "worker", "--node", oneSlot), Token, dir.Path);
        await coreHost.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(coreHost.HttpBase);
        await WaitForNodesAsync(api, 1);
        var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);

        const string steps = """
            f="$ACTORGRID_CHECKPOINT_DIR/step"; s=$(cat "$f" 2>/dev/null || echo 0); echo "resumed at $s"; i=$s
            while [ "$i" -lt 6 ]; do i=$((i+1)); echo "$i" > "$f"; echo "{\"progress\":0.$i}"; sleep 1; done
            echo "long done"
            """;
        var longRun = Tasks.Shell(steps);
        longRun["preemptible"] = true;
        longRun["expectedDurationSeconds"] = 3600;
        var longId = Tasks.Id((await api.SubmitTaskAsync(key, longRun)).Body);
        await api.WaitForStateAsync(key, longId, s => s == "running", Long);
        await WaitForProgressAsync(api, key, longId);

        var shortRun = Tasks.Shell("echo short done");
        shortRun["expectedDurationSeconds"] = 5;
        var shortId = Tasks.Id((await api.SubmitTaskAsync(key, shortRun)).Body);
        var shortDone = await api.WaitForStateAsync(key, shortId, Tasks.IsTerminal, Long);
        Assert.Equal("succeeded", Tasks.State(shortDone));
        Assert.Equal([longId], shortDone["placement"]!["preempted"]!.AsArray().Select(p => p!.GetValue<string>()));

        var longDone = await api.WaitForStateAsync(key, longId, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(longDone) == "succeeded", longDone.ToJsonString());
        var attempts = longDone["attempts"]!.AsArray();
        Assert.Equal("preempted", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal("succeeded", attempts[^1]!["outcome"]!.GetValue<string>());
        var output = longDone["stdoutTail"]!.GetValue<string>();
        Assert.EndsWith("long done\n", output);
        Assert.True(int.Parse(output.Split('\n')[0].Replace("resumed at ", "")) > 0, $"the long run should resume from its checkpoint, got: {output}");
        // The short task ran while the long one was out of the way, not beside it.
        Assert.True(DateTimeOffset.Parse(shortDone["attempts"]![0]!["endedAt"]!.GetValue<string>()) <= DateTimeOffset.Parse(attempts[^1]!["startedAt"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Should_keep_a_zone_restricted_tenants_tasks_in_zone_even_when_its_only_node_there_is_lost()
    {
        await using var db = await PostgresDatabase.CreateAsync("residency");
        using var dir = TestDirectory.Create("residency");
        var inZone = Descriptor(dir, "zj-edge", zone: "CN-ZJ", cpu: 2);
        var outside = Descriptor(dir, "gd-hub", zone: "CN-GD", cpu: 64);
        var ports = FreePorts.Next(4);
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", ports[0], seed, "core,gateway", "--http", $"127.0.0.1:{ports[3]}"), Token, dir.Path);
        var zjHost = GridProcess.Start("zj", Host(db, dir, "zj", ports[1], seed, "worker", "--node", inZone), Token, dir.Path);
        await using var gdHost = GridProcess.Start("gd", Host(db, dir, "gd", ports[2], seed, "worker", "--node", outside), Token, dir.Path);
        try
        {
            await coreHost.WaitUntilReadyAsync(Long);
            using var api = new ApiClient(coreHost.HttpBase);
            await WaitForNodesAsync(api, 2);
            var key = await api.CreateTenantAsync(Token, "zj-only", ["CN-ZJ"]);

            for (var i = 0; i < 3; i++)
            {
                var quick = await api.WaitForStateAsync(key, Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo in zone"))).Body), Tasks.IsTerminal, Long);
                Assert.Equal("zj-edge", quick["attempts"]![0]!["node"]!.GetValue<string>());
                Assert.Contains(quick["placement"]!["others"]!.AsArray(), o => o!["node"]!.GetValue<string>() == "gd-hub" && o["verdict"]!.GetValue<string>().Contains("zone CN-GD"));
            }

            var longId = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("sleep 4; echo finally", maxAttempts: 5))).Body);
            await api.WaitForStateAsync(key, longId, s => s == "running", Long);
            await zjHost.KillAsync();

            // Its node is lost: the task goes back to the queue and stays there, never to CN-GD.
            var queued = await api.WaitForStateAsync(key, longId, s => s == "queued", Long);
            Assert.Equal("node-lost", queued["attempts"]![0]!["outcome"]!.GetValue<string>());
            await Task.Delay(TimeSpan.FromSeconds(6));
            var still = await api.GetTaskAsync(key, longId);
            Assert.Equal("queued", Tasks.State(still));
            Assert.All(still["attempts"]!.AsArray(), a => Assert.Equal("zj-edge", a!["node"]!.GetValue<string>()));

            // The in-zone node comes back and the task finishes there.
            await using var zjAgain = GridProcess.Start("zj-again", Host(db, dir, "zj2", FreePorts.Next(), seed, "worker", "--node", inZone), Token, dir.Path);
            var done = await api.WaitForStateAsync(key, longId, Tasks.IsTerminal, Long);
            Assert.Equal("succeeded", Tasks.State(done));
            Assert.All(done["attempts"]!.AsArray(), a => Assert.Equal("zj-edge", a!["node"]!.GetValue<string>()));
        }
        finally
        {
            await zjHost.DisposeAsync();
        }
    }

    internal static string[] Host(PostgresDatabase db, TestDirectory dir, string name, int port, string seed, string roles, params string[] extra) =>
        ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", db.Url, "--data", dir.Sub(name), "--roles", roles, .. extra];

    internal static string Descriptor(TestDirectory dir, string id, string zone, double cpu, decimal pricePerCoreHour = 0)
    {
        var file = Path.Combine(dir.Path, id + ".hocon");
        File.WriteAllText(file, $$"""
            node {
              id = {{id}}
              tier = edge
              site = site-{{id}}
              zone = {{zone}}
              cpu = {{cpu}}
              memory-mib = 2048
              price-per-core-hour = {{pricePerCoreHour}}
            }
            """);
        return file;
    }

    internal static async Task WaitForProgressAsync(ApiClient api, string key, string id)
    {
        var deadline = DateTime.UtcNow + Long;
        while ((await api.GetTaskAsync(key, id))["progress"] is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"task {id} never reported progress");
            await Task.Delay(100);
        }
    }

    // Spend reaches the tenant asynchronously, after each attempt ends.
    private static async Task<JsonNode> WaitForSpendAsync(ApiClient api, string tenant, decimal expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var view = (await api.SendJsonAsync(HttpMethod.Get, $"/v1/tenants/{tenant}", Token, null)).Body!;
            if (view["spent"]!.GetValue<decimal>() >= expected || DateTime.UtcNow > deadline) return view;
            await Task.Delay(300);
        }
    }

    internal static Task WaitForNodesAsync(ApiClient api, int count) => api.WaitForReadyNodesAsync(Token, count, Long);
}
