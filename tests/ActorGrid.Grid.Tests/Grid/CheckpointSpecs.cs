using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Transfer.Checkpoints;
using Xunit.Abstractions;
using static ActorGrid.Grid.Tests.Grid.PlacementSpecs;

namespace ActorGrid.Grid.Tests.Grid;

// Checkpoints travel: a task resumes on another worker host from what its earlier attempt saved,
// fetched from the worker that packed it, or from the gateway's copy when that worker was killed.
// A preempted attempt gets SIGTERM and its grace to save one first.
public class CheckpointSpecs(ITestOutputHelper output)
{
    private const string Token = "placement-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Should_resume_a_preempted_batch_task_on_a_different_worker_host_from_its_checkpoint()
    {
        await using var db = await PostgresDatabase.CreateAsync("ckpt");
        using var dir = TestDirectory.Create("ckpt");
        var (core, workerA, workerB, http) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{core}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", core, seed, "core,gateway", "--http", $"127.0.0.1:{http}"), Token, dir.Path);
        await using var hostA = GridProcess.Start("zj-a", Host(db, dir, "zj-a", workerA, seed, "worker", "--node", Descriptor(dir, "zj-a", zone: "CN-ZJ", cpu: 1)), Token, dir.Path);
        await using var hostB = GridProcess.Start("gd-b", Host(db, dir, "gd-b", workerB, seed, "worker", "--node", Descriptor(dir, "gd-b", zone: "CN-GD", cpu: 1)), Token, dir.Path);
        await coreHost.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(coreHost.HttpBase);
        await WaitForNodesAsync(api, 2);
        var acme = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ", "CN-GD"]);
        var lineIn = new Dictionary<string, string>
        {
            ["zj-a"] = await api.CreateTenantAsync(Token, "zj-line", ["CN-ZJ"]),
            ["gd-b"] = await api.CreateTenantAsync(Token, "gd-line", ["CN-GD"]),
        };

        // Each step is saved in the checkpoint directory; an attempt starts from the last step saved.
        const string training = """
            f="$ACTORGRID_CHECKPOINT_DIR/step"; s=$(cat "$f" 2>/dev/null || echo 0); echo "resumed at $s on $ACTORGRID_NODE_ID"; i=$s
            while [ "$i" -lt 10 ]; do i=$((i+1)); echo "$i" > "$f"; echo "{\"progress\":0.$i}"; sleep 1; done
            echo "batch done"
            """;
        var batch = Tasks.Shell(training);
        batch["preemptible"] = true;
        var batchId = Tasks.Id((await api.SubmitTaskAsync(acme, batch)).Body);
        var running = await api.WaitForStateAsync(acme, batchId, s => s == "running", Long);
        var first = running["attempts"]![0]!["node"]!.GetValue<string>();
        var other = first == "zj-a" ? "gd-b" : "zj-a";
        await WaitForProgressAsync(api, acme, batchId);

        // A realtime task whose tenant may only use the zone of the batch task's host takes that
        // host's one slot, so the batch task can only go on on the other host.
        var realtime = Tasks.Shell("sleep 8; echo inspected");
        realtime["lane"] = "realtime";
        var realtimeId = Tasks.Id((await api.SubmitTaskAsync(lineIn[first], realtime)).Body);

        var done = await api.WaitForStateAsync(acme, batchId, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        var attempts = done["attempts"]!.AsArray();
        Assert.Equal("preempted", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal(first, attempts[0]!["node"]!.GetValue<string>());
        // The first attempt's end names the packed checkpoint and the host that holds it.
        var history = done["history"]!.AsArray();
        var firstEnd = history.First(h => h!["type"]!.GetValue<string>() == "attempt-ended" && h["attempt"]!.GetValue<int>() == 1)!;
        var checkpoint = firstEnd["checkpoint"]!;
        Assert.Equal(64, checkpoint["sha256"]!.GetValue<string>().Length);
        var firstPort = first == "zj-a" ? workerA : workerB;
        Assert.Contains(checkpoint["holders"]!.AsArray(), h => h!.GetValue<string>().Contains($":{firstPort}/user/worker/checkpoints"));
        // The task's own view of that attempt shows the same archive, without the internal holder paths.
        Assert.Equal(checkpoint["sha256"]!.GetValue<string>(), attempts[0]!["checkpoint"]!["sha256"]!.GetValue<string>());
        Assert.True(attempts[0]!["checkpoint"]!["copies"]!.GetValue<int>() >= 1);
        Assert.Equal("succeeded", attempts[^1]!["outcome"]!.GetValue<string>());
        Assert.Equal(other, attempts[^1]!["node"]!.GetValue<string>());

        // The other host's attempt saw the step the first host's attempt had saved, and went on from there.
        var output = done["stdoutTail"]!.GetValue<string>();
        Assert.EndsWith("batch done\n", output);
        var line = output.Split('\n')[0];
        Assert.EndsWith($" on {other}", line);
        var resumedAt = int.Parse(line.Replace("resumed at ", "").Replace($" on {other}", ""));
        Assert.True(resumedAt > 0, $"the attempt on {other} should resume from {first}'s checkpoint, got: {output}");
        var started = history.Last(h => h!["type"]!.GetValue<string>() == "started")!;
        Assert.Contains("resumed from checkpoint", started["checkpoint"]!.GetValue<string>());

        var rt = await api.WaitForStateAsync(lineIn[first], realtimeId, Tasks.IsTerminal, Long);
        Assert.Equal("succeeded", Tasks.State(rt));
        Assert.Equal(first, rt["attempts"]![0]!["node"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_resume_from_the_gateways_copy_when_the_worker_host_that_packed_it_is_killed()
    {
        await using var db = await PostgresDatabase.CreateAsync("ckpt-kill");
        using var dir = TestDirectory.Create("ckpt-kill");
        // Workers copy a changed checkpoint directory to the gateway every second.
        var config = Path.Combine(dir.Path, "copy-often.hocon");
        File.WriteAllText(config, "actorgrid.worker.checkpoints.copy-interval = 1s");
        var (core, workerA, http) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{core}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", core, seed, "core,gateway", "--http", $"127.0.0.1:{http}"), Token, dir.Path);
        var hostA = GridProcess.Start("edge-a", Host(db, dir, "edge-a", workerA, seed, "worker", "--config", config, "--node", Descriptor(dir, "edge-a", zone: "CN-ZJ", cpu: 1)), Token, dir.Path);
        try
        {
            await coreHost.WaitUntilReadyAsync(Long);
            using var api = new ApiClient(coreHost.HttpBase);
            await WaitForNodesAsync(api, 1);
            var acme = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
            const string training = """
                f="$ACTORGRID_CHECKPOINT_DIR/step"; s=$(cat "$f" 2>/dev/null || echo 0); echo "resumed at $s on $ACTORGRID_NODE_ID"; i=$s
                while [ "$i" -lt 30 ]; do i=$((i+1)); echo "$i" > "$f"; sleep 1; done
                echo "training done"
                """;
            // One allowed failure: the node loss must not spend it.
            var id = Tasks.Id((await api.SubmitTaskAsync(acme, Tasks.Shell(training, maxAttempts: 1))).Body);
            await api.WaitForStateAsync(acme, id, s => s == "running", Long);
            await WaitForHistoryAsync(api, acme, id, "checkpoint-saved");

            // A second worker joins (three members, so the core keeps the majority), then the first
            // worker host dies without a word: no exit report, no packing at the end.
            await using var hostB = GridProcess.Start("edge-b", Host(db, dir, "edge-b", FreePorts.Next(), seed, "worker", "--config", config, "--node", Descriptor(dir, "edge-b", zone: "CN-ZJ", cpu: 1)), Token, dir.Path);
            await WaitForNodesAsync(api, 2);
            await hostA.KillAsync();

            var done = await api.WaitForStateAsync(acme, id, Tasks.IsTerminal, TimeSpan.FromSeconds(240));
            Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
            var attempts = done["attempts"]!.AsArray();
            Assert.Equal("node-lost", attempts[0]!["outcome"]!.GetValue<string>());
            Assert.Equal("edge-b", attempts[^1]!["node"]!.GetValue<string>());
            var line = done["stdoutTail"]!.GetValue<string>().Split('\n')[0];
            var resumedAt = int.Parse(line.Replace("resumed at ", "").Replace(" on edge-b", ""));
            Assert.True(resumedAt > 0, $"the attempt on edge-b should resume from the gateway's copy, got: {line}");
            var started = done["history"]!.AsArray().Last(h => h!["type"]!.GetValue<string>() == "started")!;
            Assert.Contains(DurableCheckpoints.Path, started["checkpoint"]!.GetValue<string>());
        }
        finally
        {
            await hostA.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_give_a_preempted_task_its_grace_to_checkpoint_and_resume_from_it_without_spending_max_attempts()
    {
        await using var db = await PostgresDatabase.CreateAsync("ckpt-grace");
        using var dir = TestDirectory.Create("ckpt-grace");
        var (core, worker, http) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{core}";
        await using var coreHost = GridProcess.Start("core", Host(db, dir, "core", core, seed, "core,gateway", "--http", $"127.0.0.1:{http}"), Token, dir.Path);
        await using var host = GridProcess.Start("edge", Host(db, dir, "edge", worker, seed, "worker", "--node", Descriptor(dir, "edge", zone: "CN-ZJ", cpu: 1)), Token, dir.Path);
        await coreHost.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(coreHost.HttpBase);
        await WaitForNodesAsync(api, 1);
        var acme = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
        var line = await api.CreateTenantAsync(Token, "line", ["CN-ZJ"]);

        // The first attempt runs until it is stopped; its SIGTERM handler takes 2 s to save the step
        // it reached (under a .tmp name, then renamed) and exits. A later attempt reports what it found.
        const string training = """
            f="$ACTORGRID_CHECKPOINT_DIR/step"; echo "attempt $ACTORGRID_ATTEMPT resumed from $(cat "$f" 2>/dev/null || echo nothing)"
            if [ "$ACTORGRID_ATTEMPT" != 1 ]; then echo "batch done"; exit 0; fi
            i=0
            trap 'sleep 2; echo "saved-in-grace-at-$i" > "$f.tmp"; mv "$f.tmp" "$f"; exit 0' TERM
            while :; do i=$((i+1)); echo '{"progress":0.1}'; sleep 1; done
            """;
        var batch = Tasks.Shell(training, maxAttempts: 1, timeoutSeconds: 300);
        batch["preemptible"] = true;
        batch["preemptionGraceSeconds"] = 20;
        var batchId = Tasks.Id((await api.SubmitTaskAsync(acme, batch)).Body);
        await api.WaitForStateAsync(acme, batchId, s => s == "running", Long);
        await WaitForProgressAsync(api, acme, batchId);

        var realtime = Tasks.Shell("echo inspected");
        realtime["lane"] = "realtime";
        var realtimeId = Tasks.Id((await api.SubmitTaskAsync(line, realtime)).Body);

        var done = await api.WaitForStateAsync(acme, batchId, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        var attempts = done["attempts"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("preempted", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Contains("stopped with SIGTERM: it exited (code 0)", attempts[0]!["reason"]!.GetValue<string>());
        Assert.Equal("succeeded", attempts[1]!["outcome"]!.GetValue<string>());
        var stdout = done["stdoutTail"]!.GetValue<string>();
        Assert.Matches(@"^attempt 2 resumed from saved-in-grace-at-\d+\n", stdout);

        // The realtime task started once the victim had exited: after its 2 s handler, well within the grace.
        var rt = await api.WaitForStateAsync(line, realtimeId, Tasks.IsTerminal, Long);
        Assert.Equal("succeeded", Tasks.State(rt));
        var placed = rt["attempts"]![0]!["placedAt"]!.GetValue<DateTimeOffset>();
        var started = rt["attempts"]![0]!["startedAt"]!.GetValue<DateTimeOffset>();
        var victimEnded = attempts[0]!["endedAt"]!.GetValue<DateTimeOffset>();
        output.WriteLine($"realtime placed -> started {(started - placed).TotalMilliseconds:0} ms; victim ended {(victimEnded - placed).TotalMilliseconds:0} ms after the realtime was placed; reason: {attempts[0]!["reason"]}");
        Assert.InRange(started - placed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(15));
    }

    private static async Task WaitForHistoryAsync(ApiClient api, string key, string id, string type)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!(await api.GetTaskAsync(key, id))["history"]!.AsArray().Any(h => h!["type"]!.GetValue<string>() == type))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"task {id} never recorded {type}");
            await Task.Delay(200);
        }
    }
}
