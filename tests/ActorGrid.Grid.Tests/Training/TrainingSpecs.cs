using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Training;

// Owned chips and the training kind on one real embedded grid: real sandboxed attempts that print
// their environment, real model files shipped to the gateway's blob store.
[Collection(TrainingGridCollection.Name)]
public class TrainingSpecs(TrainingGridFixture grid)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static JsonObject ChipTask(string script, string model = "nvidia-a100", int count = 1, string kind = "process") => new()
    {
        ["kind"] = kind,
        ["command"] = new JsonArray("sh", "-c", script),
        ["timeoutSeconds"] = 120,
        ["requirements"] = new JsonObject { ["cpu"] = 0.5, ["memoryMiB"] = 128, ["chips"] = new JsonObject { ["model"] = model, ["count"] = count } },
        ["lane"] = "batch",
        ["maxAttempts"] = 1,
    };

    private async Task<string> SubmitAsync(JsonObject body)
    {
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.True(status == HttpStatusCode.Accepted || status == HttpStatusCode.Created, $"submit: {(int)status} {accepted?.ToJsonString()}");
        return Tasks.Id(accepted);
    }

    private Task<JsonNode> DoneAsync(string id) => grid.Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, Long);

    private static Dictionary<string, string> EnvOf(JsonNode task) =>
        task["stdoutTail"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains('=')).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public async Task Should_give_two_attempts_different_chips_and_hold_a_third_until_one_ends()
    {
        const string Print = "echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES; echo NVIDIA_VISIBLE_DEVICES=$NVIDIA_VISIBLE_DEVICES; " +
            "echo CUDA_DEVICE_ORDER=$CUDA_DEVICE_ORDER; sleep ";
        var a = await SubmitAsync(ChipTask(Print + "6"));
        var b = await SubmitAsync(ChipTask(Print + "12"));
        await grid.Api.WaitForStateAsync(grid.AcmeKey, a, s => s == "running" || Tasks.IsTerminal(s), Long);
        await grid.Api.WaitForStateAsync(grid.AcmeKey, b, s => s == "running" || Tasks.IsTerminal(s), Long);

        // Both chips are owned now, and GET /v1/nodes says by whom.
        var (_, nodes) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", TrainingGridFixture.AdminToken, null);
        var running = nodes!.AsArray().Single(n => n!["id"]!.GetValue<string>() == TrainingGridFixture.NodeId)!["telemetry"]!["running"]!.AsArray();
        var held = running.ToDictionary(r => r!["taskId"]!.GetValue<string>(), r => string.Join(',', r!["chipIndices"]!.AsArray().Select(i => i!.GetValue<int>())));
        Assert.Equal(["0", "1"], new[] { held[a], held[b] }.Order());

        var c = await SubmitAsync(ChipTask("echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES", model: "any"));
        await Task.Delay(2000);
        var waiting = await grid.Api.GetTaskAsync(grid.AcmeKey, c);
        Assert.Equal("queued", Tasks.State(waiting));
        Assert.Matches("(?i)chip|a100", waiting["reason"]?.GetValue<string>() ?? "");

        var (doneA, doneB, doneC) = (await DoneAsync(a), await DoneAsync(b), await DoneAsync(c));
        Assert.All(new[] { doneA, doneB, doneC }, t => Assert.Equal("succeeded", Tasks.State(t)));
        var (envA, envB, envC) = (EnvOf(doneA), EnvOf(doneB), EnvOf(doneC));
        Assert.Equal(held[a], envA["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal(held[b], envB["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal(envA["CUDA_VISIBLE_DEVICES"], envA["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("PCI_BUS_ID", envA["CUDA_DEVICE_ORDER"]); // indices as nvidia-smi numbers the cards
        // The third ran on the chip the first gave back, after it gave it back.
        Assert.Equal(envA["CUDA_VISIBLE_DEVICES"], envC["CUDA_VISIBLE_DEVICES"]);
        var endedA = doneA["attempts"]![0]!["endedAt"]!.GetValue<DateTimeOffset>();
        Assert.True(doneC["attempts"]![0]!["startedAt"]!.GetValue<DateTimeOffset>() >= endedA.AddMilliseconds(-50));
    }

    [Fact]
    public async Task Should_hide_every_gpu_from_an_attempt_that_asks_for_none()
    {
        var body = Tasks.Shell("if [ \"${CUDA_VISIBLE_DEVICES+set}\" = set ]; then echo CUDA=[$CUDA_VISIBLE_DEVICES]; else echo CUDA=unset; fi", maxAttempts: 1);
        var done = await DoneAsync(await SubmitAsync(body));
        Assert.Equal("succeeded", Tasks.State(done));
        Assert.Equal("[]", EnvOf(done)["CUDA"]);
    }

    [Fact]
    public async Task Should_give_a_training_rank_the_torchrun_environment_and_its_own_directories()
    {
        var script = string.Join("; ", new[] { "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT",
            "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "ACTORGRID_CHECKPOINT_DIR", "ACTORGRID_OUTPUT_DIR", "ACTORGRID_TASK_ID", "ACTORGRID_ATTEMPT" }
            .Select(v => $"echo {v}=${v}")) + "; touch $ACTORGRID_OUTPUT_DIR/probe && echo OUTPUT_WRITABLE=yes";
        var body = ChipTask(script, model: "any", kind: "training");
        body["workers"] = 1;
        var id = await SubmitAsync(body);

        var done = await DoneAsync(id);

        Assert.Equal("succeeded", Tasks.State(done));
        var env = EnvOf(done);
        Assert.Equal(("0", "1", "0", "1", "0", "127.0.0.1"), (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"], env["NODE_RANK"], env["MASTER_ADDR"]));
        Assert.InRange(int.Parse(env["MASTER_PORT"]), 1, 65535);
        Assert.Contains(env["CUDA_VISIBLE_DEVICES"], new[] { "0", "1" });
        Assert.Equal(env["CUDA_VISIBLE_DEVICES"], env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal(("/checkpoint", "/output", id, "1", "yes"), (env["ACTORGRID_CHECKPOINT_DIR"], env["ACTORGRID_OUTPUT_DIR"], env["ACTORGRID_TASK_ID"], env["ACTORGRID_ATTEMPT"], env["OUTPUT_WRITABLE"]));
    }

    [Fact]
    public async Task Should_refuse_a_gang_size_out_of_range_and_training_fields_on_other_kinds()
    {
        var body = ChipTask("true", kind: "training");
        body["workers"] = 65;
        var (status, problem) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("between 1 and 64", problem!.ToJsonString());

        var process = Tasks.Shell("true");
        process["output"] = new JsonObject { ["model"] = "m", ["file"] = "model.onnx" };
        (status, problem) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, process);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("output is for kind", problem!.ToJsonString());
    }

    [Fact]
    public async Task Should_run_the_ranks_of_a_gang_on_one_host_each_with_its_own_chip_and_hold_a_gang_that_does_not_fit()
    {
        var body = ChipTask("echo R$RANK=$LOCAL_RANK/$WORLD_SIZE/$LOCAL_WORLD_SIZE/$CUDA_VISIBLE_DEVICES/$NVIDIA_VISIBLE_DEVICES/$MASTER_ADDR:$MASTER_PORT", model: "any", kind: "training");
        body["workers"] = 2;
        var done = await DoneAsync(await SubmitAsync(body));

        Assert.Equal("succeeded", Tasks.State(done));
        var ranks = EnvOf(done);
        // Rank 0's stdout is the job's own; every other rank's lines carry its prefix.
        Assert.DoesNotContain("R1", ranks.Keys);
        var (r0, r1) = (ranks["R0"].Split('/'), ranks["[rank1]: R1"].Split('/'));
        Assert.Equal(("0", "2", "2"), (r0[0], r0[1], r0[2]));
        Assert.Equal(("1", "2", "2"), (r1[0], r1[1], r1[2]));
        Assert.Equal(["0", "1"], new[] { r0[3], r1[3] }.Order());
        Assert.Equal((r0[3], r1[3]), (r0[4], r1[4]));
        Assert.Equal(r0[5], r1[5]); // one master for the gang

        var tooBig = ChipTask("true", model: "any", kind: "training");
        tooBig["workers"] = 3;
        var waiting = await SubmitAsync(tooBig);
        await Task.Delay(2000);
        var task = await grid.Api.GetTaskAsync(grid.AcmeKey, waiting);
        Assert.Equal("queued", Tasks.State(task));
        Assert.Matches("(?i)chip|gpu", task["reason"]?.GetValue<string>() ?? "");
        await grid.Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{waiting}", grid.AcmeKey, null);
        Assert.Equal("cancelled", Tasks.State(await DoneAsync(waiting)));
    }

    [Fact]
    public async Task Should_fail_the_gang_when_one_rank_fails()
    {
        var body = ChipTask("if [ $RANK = 1 ]; then exit 3; fi; sleep 60", model: "any", kind: "training");
        body["workers"] = 2;
        var done = await DoneAsync(await SubmitAsync(body));
        Assert.Equal("failed", Tasks.State(done));
        Assert.Equal(3, done["attempts"]![0]!["exitCode"]!.GetValue<int>());
        Assert.True(done["attempts"]![0]!["endedAt"]!.GetValue<DateTimeOffset>() - done["attempts"]![0]!["startedAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromSeconds(30));
    }

    // Real gloo ranks rendezvous on loopback in a network namespace of the attempt's own: rank 0's
    // TCPStore (no authentication) listens on MASTER_PORT, and nothing on the host (this process,
    // or another tenant's attempt, which shares the host's network) can reach it there.
    [Fact]
    public async Task Should_keep_a_one_host_gangs_rendezvous_out_of_reach_of_everything_else_on_the_host()
    {
        const string Script = """
            import os, sys, time, json, torch.distributed as d
            d.init_process_group('gloo', init_method='env://')
            d.barrier()
            if d.get_rank() == 0:
                netns = int(os.readlink('/proc/self/ns/net').split('[')[1].rstrip(']'))
                print(json.dumps({'progress': 0.5, 'metrics': {'port': int(os.environ['MASTER_PORT']), 'netns': netns}}), flush=True)
                time.sleep(15)
            d.barrier()
            print('rank', d.get_rank(), 'of', d.get_world_size(), 'met twice', flush=True)
            sys.stdout.flush()
            os._exit(0)
            """;
        var body = ChipTask("", model: "any", kind: "training");
        body["command"] = new JsonArray("python3", "-c", Script);
        body["requirements"]!["memoryMiB"] = 1024; // two torch interpreters
        body["workers"] = 2;
        var id = await SubmitAsync(body);

        JsonNode task;
        var until = DateTime.UtcNow + Long;
        do
        {
            task = await grid.Api.GetTaskAsync(grid.AcmeKey, id);
            if (task["metrics"]?["port"] is not null || Tasks.IsTerminal(Tasks.State(task))) break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < until);
        Assert.True(task["metrics"]?["port"] is not null, $"rank 0 never reported its rendezvous: {task.ToJsonString()}");
        var port = (int)task["metrics"]!["port"]!.GetValue<double>();
        var netns = (long)task["metrics"]!["netns"]!.GetValue<double>();

        // Rank 0 listens on MASTER_PORT right now (it sleeps between two barriers), but not here.
        var ours = long.Parse(new DirectoryInfo("/proc/self/ns/net").LinkTarget!.Split('[')[1].TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(ours, netns);
        using var knock = new System.Net.Sockets.TcpClient();
        var refused = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => knock.ConnectAsync("127.0.0.1", port));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, refused.SocketErrorCode);

        var done = await DoneAsync(id);
        Assert.Equal("succeeded", Tasks.State(done));
        Assert.Contains("rank 1 of 2 met twice", done["stdoutTail"]!.GetValue<string>());
    }

    // Rank 0 is the job: a rank that hangs once rank 0 has finished (torch 1.13's gloo can deadlock
    // in its teardown) is killed after actorgrid.worker.rank-exit-grace and the attempt succeeds,
    // instead of holding both chips until the task's timeout.
    [Fact]
    public async Task Should_finish_the_gang_when_rank_0_is_done_and_stop_a_rank_left_hanging_after_the_grace()
    {
        var body = ChipTask("if [ $RANK = 1 ]; then trap '' TERM; sleep 600; fi; echo rank $RANK done", model: "any", kind: "training");
        body["workers"] = 2;
        var done = await DoneAsync(await SubmitAsync(body));
        Assert.Equal("succeeded", Tasks.State(done));
        var attempt = done["attempts"]![0]!;
        var took = attempt["endedAt"]!.GetValue<DateTimeOffset>() - attempt["startedAt"]!.GetValue<DateTimeOffset>();
        Assert.True(took >= TimeSpan.FromSeconds(TrainingGridFixture.RankExitGraceSeconds - 0.5), $"rank 1 was not given its grace: {took}");
        Assert.True(took < TimeSpan.FromSeconds(60), $"rank 1 was not stopped after the grace: {took}");
        Assert.Contains("ranks still running", done["stderrTail"]?.GetValue<string>() ?? done.ToJsonString());
    }

    // A training script that writes a tiny ONNX model (y = 2x + 1) and reports its validation loss.
    private static JsonObject TrainingThatWrites(string model, double valLoss, JsonObject? deploy, JsonObject? promoteIf)
    {
        var onnx = Convert.ToBase64String(TestModels.Elementwise());
        var script = $"echo '{{\"progress\":0.5,\"metrics\":{{\"val_loss\":0.9}}}}'; " +
            $"echo {onnx} | base64 -d > $ACTORGRID_OUTPUT_DIR/model.onnx; " +
            $"echo 'step' > $ACTORGRID_CHECKPOINT_DIR/step; " +
            $"echo '{{\"progress\":1.0,\"metrics\":{{\"val_loss\":{valLoss.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}}}'";
        var body = ChipTask(script, model: "any", kind: "training");
        body["workers"] = 1;
        var output = new JsonObject { ["model"] = model, ["file"] = "model.onnx" };
        if (deploy is not null) output["deploy"] = deploy;
        if (promoteIf is not null) output["promoteIf"] = promoteIf;
        body["output"] = output;
        return body;
    }

    private async Task<JsonNode> WaitForModelOutcomeAsync(string id, Func<JsonNode, bool> done)
    {
        var until = DateTime.UtcNow + Long;
        JsonNode task;
        do
        {
            task = await grid.Api.GetTaskAsync(grid.AcmeKey, id);
            if (task["model"] is { } m && done(m)) return task;
            await Task.Delay(200);
        } while (DateTime.UtcNow < until);
        throw new TimeoutException($"task {id} did not register its model: {task.ToJsonString()}");
    }

    [Fact]
    public async Task Should_register_the_output_as_a_model_version_with_lineage_and_deploy_it_when_promote_if_holds()
    {
        var body = TrainingThatWrites("gauge-dial", 0.01, new JsonObject { ["tier"] = "edge" }, new JsonObject { ["metric"] = "val_loss", ["below"] = 0.05 });
        var id = await SubmitAsync(body);

        var task = await WaitForModelOutcomeAsync(id, m => m["deployed"] is not null);

        Assert.Equal("succeeded", Tasks.State(task));
        Assert.True(task["model"]!["deployed"]!.GetValue<bool>(), task.ToJsonString());
        var version = task["model"]!["version"]!.GetValue<int>();
        var (status, model) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/models/gauge-dial@{version}", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Sha256(TestModels.Elementwise()), model!["sha256"]!.GetValue<string>());
        var lineage = model["lineage"]!;
        Assert.Equal(id, lineage["task"]!.GetValue<string>());
        Assert.Equal(1, lineage["attempt"]!.GetValue<int>());
        Assert.Equal(0.01, lineage["metrics"]!["val_loss"]!.GetValue<double>());
        Assert.Matches("^[0-9a-f]{64}$", lineage["checkpointSha256"]!.GetValue<string>());
        Assert.Equal("edge", model["deployment"]!["selector"]!["tier"]!.GetValue<string>());
        var (_, all) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/gauge-dial", grid.AcmeKey, null);
        Assert.Equal(id, all!["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<int>() == version)!["lineage"]!["task"]!.GetValue<string>());

        var (inferStatus, answer) = await grid.Api.InferAsync(grid.AcmeKey, $"gauge-dial@{version}", Request("x", [1, 4], [1, 2, 3, 4], slaMs: 10_000));
        Assert.Equal(HttpStatusCode.OK, inferStatus);
        Assert.Equal([3f, 5f, 7f, 9f], Floats(answer!["outputs"]!["y"]!["data"]));

        // The audit record of that inference names the task that trained the version, inside the chain.
        var records = await ActorGrid.Grid.Tests.Inference.AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "gauge-dial", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(id, records.Single(r => r!["auditId"]!.GetValue<string>() == answer["auditId"]!.GetValue<string>())!["trainedBy"]!.GetValue<string>());
        var (_, verify) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/audit/verify", grid.AcmeKey, null);
        Assert.True(verify!["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Should_register_but_not_deploy_when_promote_if_does_not_hold_and_say_why_in_the_history()
    {
        var body = TrainingThatWrites("weld-seam", 0.2, new JsonObject { ["tier"] = "edge" }, new JsonObject { ["metric"] = "val_loss", ["below"] = 0.05 });
        var id = await SubmitAsync(body);

        var task = await WaitForModelOutcomeAsync(id, m => m["deployed"] is not null);

        Assert.False(task["model"]!["deployed"]!.GetValue<bool>());
        var notDeployed = task["history"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "model-not-deployed")!;
        Assert.Contains("val_loss = 0.2 is not below 0.05", notDeployed["reason"]!.GetValue<string>());
        var (status, model) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/weld-seam@1", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(model!["deployment"]);
        Assert.Equal(id, model["lineage"]!["task"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_fail_a_training_attempt_that_leaves_no_output_file_and_say_which()
    {
        var body = ChipTask("echo trained but saved nothing", model: "any", kind: "training");
        body["output"] = new JsonObject { ["model"] = "nothing", ["file"] = "model.onnx" };
        var done = await DoneAsync(await SubmitAsync(body));
        Assert.Equal("failed", Tasks.State(done));
        Assert.Contains("left no /output/model.onnx", done["reason"]!.GetValue<string>());
    }
}
