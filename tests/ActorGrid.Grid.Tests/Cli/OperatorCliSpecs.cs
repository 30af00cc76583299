using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Inference;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using Npgsql;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Cli;

// The `actorgrid` CLI as a real process against a live three-host grid. Specs do not depend on
// each other's order: the one that makes "regional" leave is the only one that changes membership,
// and the others only assert about the core and edge hosts.
public sealed class OperatorCliSpecs(ThreeHostGridFixture grid) : IClassFixture<ThreeHostGridFixture>
{
    private static readonly TimeSpan Long = ThreeHostGridFixture.Long;

    [Fact]
    public async Task Should_show_the_cluster_as_a_table_and_as_json()
    {
        var table = await grid.RunAsync("cluster", "show");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(grid.CoreAddress, table.Stdout);
        Assert.Contains(grid.EdgeAddress, table.Stdout);
        Assert.Contains("core,gateway,worker", table.Stdout);
        Assert.Contains("leader", table.Stdout);

        var json = await grid.RunJsonAsync("cluster", "show");
        var members = json["members"]!.AsArray();
        var core = members.Single(m => m!["address"]!.GetValue<string>() == grid.CoreAddress)!;
        Assert.Equal("up", core["status"]!.GetValue<string>());
        Assert.Equal(["core", "gateway", "worker"], core["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.True(core["reachable"]!.GetValue<bool>());
        Assert.Contains(members, m => m!["address"]!.GetValue<string>() == grid.EdgeAddress && m["roles"]!.AsArray().Single()!.GetValue<string>() == "worker");
        Assert.Equal(grid.CoreAddress, json["self"]!.GetValue<string>());
        Assert.StartsWith("akka.tcp://actorgrid@127.0.0.1:", json["leader"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_make_a_worker_leave_the_cluster_and_tail_the_change()
    {
        await using var tail = CliProcess.Start([grid.Target, "cluster", "tail", "--json"], ThreeHostGridFixture.Token);
        await tail.WaitForLineAsync(l => l.Contains(grid.RegionalAddress, StringComparison.Ordinal), Long);

        var leave = await grid.RunAsync("cluster", "leave", grid.RegionalAddress);
        Assert.True(leave.ExitCode == 0, leave.ToString());
        Assert.Contains("leave", leave.Stdout);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var members = (await grid.RunJsonAsync("cluster", "show"))["members"]!.AsArray();
            if (members.All(m => m!["address"]!.GetValue<string>() != grid.RegionalAddress)) break;
            Assert.True(deadline.Elapsed < Long, $"regional still a member: {members.ToJsonString()}");
            await Task.Delay(500);
        }
        var removed = await tail.WaitForLineAsync(l => l.Contains(grid.RegionalAddress, StringComparison.Ordinal) && l.Contains("MemberRemoved", StringComparison.Ordinal), Long);
        Assert.Equal("removed", JsonNode.Parse(removed)!["status"]!.GetValue<string>());

        // A member that left shuts its host down (coordinated shutdown), as a leave should.
        var exited = Stopwatch.StartNew();
        while (!grid.Regional.HasExited && exited.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(250);
        Assert.True(grid.Regional.HasExited, "the regional host kept running after leaving the cluster\n" + grid.Regional.Tail());

        var unknown = await grid.RunAsync("cluster", "leave", "akka.tcp://actorgrid@127.0.0.1:1");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No cluster member at 127.0.0.1:1", unknown.Stderr);
        var garbage = await grid.RunAsync("cluster", "down", "not-an-address");
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("is not a cluster address", garbage.Stderr);
    }

    [Fact]
    public async Task Should_persist_cordon_and_drain_on_the_node_and_show_them_in_the_list()
    {
        var cordon = await grid.RunAsync("nodes", "cordon", ThreeHostGridFixture.EdgeNode, "--reason", "firmware update");
        Assert.True(cordon.ExitCode == 0, cordon.ToString());
        Assert.Contains($"Node {ThreeHostGridFixture.EdgeNode} is cordoned.", cordon.Stdout);
        await WaitForNodeStateAsync(ThreeHostGridFixture.EdgeNode, "cordoned");
        Assert.Equal("cordoned", (await grid.RunJsonAsync("nodes", "show", ThreeHostGridFixture.EdgeNode))["state"]!.GetValue<string>());

        var drain = await grid.RunJsonAsync("nodes", "drain", ThreeHostGridFixture.EdgeNode);
        Assert.Equal("draining", drain["state"]!.GetValue<string>());
        await WaitForNodeStateAsync(ThreeHostGridFixture.EdgeNode, "draining");

        var filtered = (await grid.RunJsonAsync("nodes", "list", "--tier", "edge")).AsArray();
        Assert.Equal([ThreeHostGridFixture.EdgeNode], filtered.Select(n => n!["id"]!.GetValue<string>()));

        // Persisted: the events are in node/<id>'s journal, not only in memory.
        var manifests = await JournalManifestsAsync("node/" + ThreeHostGridFixture.EdgeNode);
        Assert.True(manifests.IndexOf("node.cordoned") >= 0 && manifests.IndexOf("node.cordoned") < manifests.IndexOf("node.drain-started"), string.Join(", ", manifests));

        var uncordon = await grid.RunJsonAsync("nodes", "uncordon", ThreeHostGridFixture.EdgeNode);
        Assert.Equal("ready", uncordon["state"]!.GetValue<string>());

        var unknown = await grid.RunAsync("nodes", "drain", "no-such-node");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Node 'no-such-node' is not registered", unknown.Stderr);
        Assert.Empty(unknown.Stdout.Trim());
    }

    [Fact]
    public async Task Should_watch_a_task_until_it_ends_and_show_its_logs()
    {
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("sleep 2; echo inspected"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = Tasks.Id(accepted);

        var watch = await CliProcess.RunAsync([grid.Target, "tasks", "watch", id], ThreeHostGridFixture.Token, timeout: Long);
        Assert.True(watch.ExitCode == 0, watch.ToString());
        var lines = watch.Stdout.Split('\n');
        int IndexOf(string type) => Array.FindIndex(lines, l => l.Contains($" {type} ", StringComparison.Ordinal));
        Assert.True(IndexOf("submitted") >= 0 && IndexOf("submitted") < IndexOf("started") && IndexOf("started") < IndexOf("succeeded"), watch.Stdout);
        Assert.Contains($"Task {id} ended: succeeded.", watch.Stdout);

        // --json: one event per line, replayed from the start for a finished task.
        var replay = await CliProcess.RunAsync([grid.Target, "tasks", "watch", id, "--json"], ThreeHostGridFixture.Token, timeout: Long);
        var events = replay.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal("submitted", events[0]["type"]!.GetValue<string>());
        Assert.Equal("succeeded", events[^1]["type"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e["seq"]!.GetValue<int>()));

        var logs = await grid.RunJsonAsync("tasks", "logs", id);
        Assert.Equal("inspected\n", logs["stdoutTail"]!.GetValue<string>());
        var show = await grid.RunJsonAsync("tasks", "show", id);
        Assert.Equal("succeeded", show["task"]!["state"]!.GetValue<string>());
        Assert.Equal(events.Count, show["task"]!["history"]!.AsArray().Count);
        var listed = (await grid.RunJsonAsync("tasks", "list", "--tenant", "acme", "--state", "succeeded")).AsArray();
        Assert.Contains(listed, t => t!["id"]!.GetValue<string>() == id);
        Assert.All(listed, t => Assert.Equal("succeeded", t!["state"]!.GetValue<string>()));
        var everyone = (await grid.RunJsonAsync("tasks", "list")).AsArray();
        Assert.Contains(everyone, t => t!["id"]!.GetValue<string>() == id);

        var unknown = await grid.RunAsync("tasks", "watch", "t-0000000000000000");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Task 't-0000000000000000' does not exist", unknown.Stderr);
    }

    // A full page prints the command for the next one; following it reads the older tasks.
    [Fact]
    public async Task Should_print_the_command_for_the_next_page_of_a_tenants_tasks()
    {
        var tenant = "pages-" + Guid.NewGuid().ToString("n")[..8];
        var key = await grid.Api.CreateTenantAsync(ThreeHostGridFixture.Token, tenant, []);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(Tasks.Id((await grid.Api.SubmitTaskAsync(key, Tasks.Shell("true"))).Body));

        var first = await grid.RunAsync("tasks", "list", "--tenant", tenant, "--limit", "2");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains(ids[2], first.Stdout);
        Assert.DoesNotContain(ids[0], first.Stdout);
        var more = first.Stdout.Split('\n').Single(l => l.StartsWith("more: ", StringComparison.Ordinal));
        Assert.Contains($"actorgrid {grid.Target} tasks list --tenant {tenant} --limit 2 --cursor ", more);

        var cursor = more.Split(' ')[^1].Trim();
        var second = (await grid.RunJsonAsync("tasks", "list", "--tenant", tenant, "--limit", "2", "--cursor", cursor)).AsArray();
        Assert.Equal([ids[0]], second.Select(t => t!["id"]!.GetValue<string>()));
        var last = await grid.RunAsync("tasks", "list", "--tenant", tenant, "--limit", "2", "--cursor", cursor);
        Assert.DoesNotContain("more: ", last.Stdout);
    }

    [Fact]
    public async Task Should_exit_3_for_a_bad_token_or_no_gateway_and_2_for_usage_errors()
    {
        var badToken = await CliProcess.RunAsync([grid.Target, "cluster", "show", "--token", "wrong"], ThreeHostGridFixture.Token);
        Assert.Equal(3, badToken.ExitCode);
        Assert.Contains("refused the operator token", badToken.Stderr);
        Assert.Single(badToken.Stderr.Trim().Split('\n'));

        var noToken = await CliProcess.RunAsync([grid.Target, "nodes", "list"], token: null);
        Assert.Equal(3, noToken.ExitCode);
        Assert.Contains("ACTORGRID_ADMIN_TOKEN", noToken.Stderr);

        var nobody = await CliProcess.RunAsync([$"127.0.0.1:{FreePorts.Next()}", "cluster", "show"], ThreeHostGridFixture.Token);
        Assert.Equal(3, nobody.ExitCode);
        Assert.Contains("Cannot reach the gateway", nobody.Stderr);

        var badType = await grid.RunAsync("cluster-sharding", "region-stats", "-r", "widgets");
        Assert.Equal(2, badType.ExitCode);
        Assert.Contains("cluster-sharding region-stats --help", badType.Stderr);
        Assert.Equal(2, (await grid.RunAsync("cluster")).ExitCode);

        var help = await grid.RunAsync("tenants", "keys", "rotate", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Issue a new API key", help.Stdout);
    }

    [Fact]
    public async Task Should_report_sharding_and_the_split_brain_resolver()
    {
        var stats = await grid.RunJsonAsync("cluster-sharding", "region-stats", "-r", "node");
        var core = stats["regions"]!.AsArray().Single(r => r!["address"]!.GetValue<string>() == grid.CoreAddress)!;
        Assert.True(core["entities"]!.GetValue<int>() >= 3, stats.ToJsonString());
        var regions = (await grid.RunJsonAsync("cluster-sharding", "regions")).AsArray();
        Assert.Equal(["node", "task", "tenant"], regions.Select(r => r!["type"]!.GetValue<string>()));
        Assert.All(regions, r => Assert.Contains(grid.CoreAddress, r!["regions"]!.AsArray().Select(a => a!.GetValue<string>())));

        var sbr = await grid.RunJsonAsync("cluster", "sbr");
        Assert.Equal("keep-majority", sbr["activeStrategy"]!.GetValue<string>());
        Assert.Equal("7s", sbr["stableAfter"]!.GetValue<string>());
        Assert.True(sbr["hasMajority"]!.GetValue<bool>());
        var table = await grid.RunAsync("cluster", "sbr");
        Assert.Contains("keep-majority", table.Stdout);
    }

    [Fact]
    public async Task Should_create_tenants_rotate_their_keys_and_set_quotas()
    {
        var created = await grid.RunJsonAsync("tenants", "create", "rotor", "--name", "Rotor Works", "--zones", "CN-ZJ", "--max-cpu", "8");
        var oldKey = created["apiKey"]!.GetValue<string>();

        var rotated = await grid.RunJsonAsync("tenants", "keys", "rotate", "rotor");
        var newKey = rotated["apiKey"]!.GetValue<string>();
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(1, rotated["revoked"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", newKey, null)).Status);
        // The old key was never used, so no gateway has it cached: it is refused at once.
        Assert.Equal(HttpStatusCode.Unauthorized, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks", oldKey, null)).Status);
        Assert.Equal(["tenant.created", "tenant.api-key-issued", "tenant.api-key-issued", "tenant.api-keys-revoked"], await JournalManifestsAsync("tenant/rotor"));

        var quota = await grid.RunJsonAsync("tenants", "quota", "rotor", "--max-chips", "2");
        Assert.Equal(8, quota["quota"]!["maxCpu"]!.GetValue<double>());
        Assert.Equal(2, quota["quota"]!["maxChips"]!.GetValue<int>());
        var listed = (await grid.RunJsonAsync("tenants", "list")).AsArray();
        Assert.Contains(listed, t => t!["id"]!.GetValue<string>() == "rotor" && t["quota"]!["maxChips"]!.GetValue<int>() == 2);
        Assert.Contains(listed, t => t!["id"]!.GetValue<string>() == "acme");

        var missing = await grid.RunAsync("tenants", "keys", "rotate", "nobody");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Tenant 'nobody' does not exist", missing.Stderr);
        Assert.Equal(2, (await grid.RunAsync("tenants", "quota", "rotor")).ExitCode);
    }

    [Fact]
    public async Task Should_change_a_tenants_limits_and_show_them()
    {
        await grid.RunJsonAsync("tenants", "create", "throttled");
        var limits = await grid.RunJsonAsync("tenants", "limits", "throttled", "--submit-per-second", "20", "--burst", "40", "--max-queued", "7");
        Assert.Equal(20, limits["limits"]!["submitPerSecond"]!.GetValue<int>());
        Assert.Equal(40, limits["limits"]!["burst"]!.GetValue<int>());
        Assert.Equal(7, limits["limits"]!["maxQueued"]!.GetValue<int>());

        var burstOnly = await grid.RunJsonAsync("tenants", "limits", "throttled", "--burst", "60");
        Assert.Equal(20, burstOnly["limits"]!["submitPerSecond"]!.GetValue<int>());
        Assert.Equal(60, burstOnly["limits"]!["burst"]!.GetValue<int>());
        var shown = await grid.RunAsync("tenants", "show", "throttled");
        Assert.Contains("20/s, burst 60, 7 unfinished tasks at most", shown.Stdout);

        Assert.Equal(2, (await grid.RunAsync("tenants", "limits", "throttled")).ExitCode);
        Assert.Equal(2, (await grid.RunAsync("tenants", "limits", "throttled", "--burst", "lots")).ExitCode);
        var absurd = await grid.RunAsync("tenants", "limits", "throttled", "--max-queued", "0");
        Assert.NotEqual(0, absurd.ExitCode);
        Assert.Contains("maxQueued", absurd.Stderr);
        var help = await grid.RunAsync("tenants", "limits", "--help");
        Assert.Contains("--submit-per-second", help.Stdout);
        Assert.Contains("429 with Retry-After", help.Stdout);
        Assert.Contains("unfinished tasks", help.Stdout);
    }

    [Fact]
    public async Task Should_run_commands_typed_at_the_interactive_prompt_and_keep_history()
    {
        var session = await CliProcess.RunAsync([grid.Target], ThreeHostGridFixture.Token, stdin: "cluster show\nnodes show nope\nhistory\nexit\n");
        Assert.True(session.ExitCode == 0, session.ToString());
        Assert.Contains($"[{grid.Target}] actorgrid> cluster show", session.Stdout);
        Assert.Contains(grid.CoreAddress, session.Stdout);
        Assert.Contains("Node 'nope' is not registered", session.Stderr);
        Assert.Contains("   1  cluster show", session.Stdout);
        Assert.Contains("   2  nodes show nope", session.Stdout);
    }

    [Fact]
    public async Task Should_list_models_and_export_a_tenants_audit_trail_as_csv_and_json_lines()
    {
        const string model = "cli-gauge";
        var onnx = TestModels.Elementwise();
        var from = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        await grid.Api.UploadOkAsync(grid.AcmeKey, model, onnx);
        const int inferences = 5;
        for (var i = 0; i < inferences; i++)
        {
            var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, model, Request("x", [1, 4], [i, i + 1, i + 2, i + 3], slaMs: 30_000));
            Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        }
        await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, model, inferences, Long);
        var to = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");

        var models = (await grid.RunJsonAsync("models", "list")).AsArray();
        var listed = models.Single(m => m!["tenant"]!.GetValue<string>() == "acme" && m["name"]!.GetValue<string>() == model)!;
        Assert.Equal(1, listed["latest"]!.GetValue<int>());
        Assert.Equal(Sha256(onnx), listed["versions"]!.AsArray().Single()!["sha256"]!.GetValue<string>());
        Assert.Contains(model, (await grid.RunAsync("models", "list", "--tenant", "acme")).Stdout);
        var shown = await grid.RunJsonAsync("models", "show", model);
        Assert.Equal(("acme", model), (shown["tenant"]!.GetValue<string>(), shown["name"]!.GetValue<string>()));
        Assert.Equal("x", shown["versions"]![0]!["inputs"]![0]!["name"]!.GetValue<string>());
        var showTable = await grid.RunAsync("models", "show", model, "--tenant", "acme");
        Assert.True(showTable.ExitCode == 0, showTable.ToString());
        Assert.Contains(Sha256(onnx)[..12], showTable.Stdout);

        var csv = await grid.RunAsync("audit", "export", "--tenant", "acme", "--model", model, "--from", from, "--to", to, "--format", "csv");
        Assert.True(csv.ExitCode == 0, csv.ToString());
        var lines = csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var rows = lines[1..].Select(l => header.Zip(l.Split(',')).ToDictionary(c => c.Item1, c => c.Item2)).ToList();
        Assert.Equal(inferences, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal(model, r["model"]);
            Assert.Equal(64, r["hash"].Length);
            Assert.Equal(64, r["prevHash"].Length);
        });
        // Only this spec infers for acme here, so the export is one unbroken stretch of the chain.
        for (var i = 1; i < rows.Count; i++)
        {
            Assert.Equal(long.Parse(rows[i - 1]["seq"]) + 1, long.Parse(rows[i]["seq"]));
            Assert.Equal(rows[i - 1]["hash"], rows[i]["prevHash"]);
        }

        // Small pages: progress on stderr, the same records in the file, stdout says where they went.
        var file = Path.Combine(grid.Directory.Path, "acme-audit.jsonl");
        var paged = await grid.RunAsync("audit", "export", "--tenant", "acme", "--model", model, "--from", from, "--to", to,
            "--format", "jsonl", "--page-size", "2", "--out", file);
        Assert.True(paged.ExitCode == 0, paged.ToString());
        Assert.Contains($"Exported {inferences} audit record(s) of tenant acme to {file}.", paged.Stdout);
        Assert.Contains("record(s) so far", paged.Stderr);
        var records = (await File.ReadAllLinesAsync(file)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(rows.Select(r => r["hash"]), records.Select(r => r["hash"]!.GetValue<string>()));
        Assert.False(File.Exists(file + ".partial"));

        var nobody = await grid.RunAsync("audit", "export", "--tenant", "nobody", "--from", from, "--to", to);
        Assert.Equal(1, nobody.ExitCode);
        Assert.Contains("Tenant 'nobody' does not exist", nobody.Stderr);
        var badTime = await grid.RunAsync("audit", "export", "--tenant", "acme", "--from", "yesterday", "--to", to);
        Assert.Equal(2, badTime.ExitCode);
        Assert.Contains("--from 'yesterday' is not a time", badTime.Stderr);
        var noModel = await grid.RunAsync("models", "show", "no-such-model");
        Assert.Equal(1, noModel.ExitCode);
        Assert.Contains("No tenant has a model 'no-such-model'", noModel.Stderr);
    }

    [Fact]
    public async Task Should_filter_nodes_on_the_gateway_and_refuse_an_unknown_tier_in_one_line()
    {
        var edge = (await grid.RunJsonAsync("nodes", "list", "--tier", "edge")).AsArray();
        Assert.Contains(edge, n => n!["id"]!.GetValue<string>() == ThreeHostGridFixture.EdgeNode);
        Assert.All(edge, n => Assert.Equal("edge", n!["descriptor"]!["tier"]!.GetValue<string>()));

        var site = edge.First(n => n!["id"]!.GetValue<string>() == ThreeHostGridFixture.EdgeNode)!["descriptor"]!["site"]!.GetValue<string>();
        var atSite = (await grid.RunJsonAsync("nodes", "list", "--site", site, "--tier", "edge")).AsArray();
        Assert.Contains(atSite, n => n!["id"]!.GetValue<string>() == ThreeHostGridFixture.EdgeNode);
        Assert.Empty((await grid.RunJsonAsync("nodes", "list", "--zone", "no-such-zone")).AsArray());
        var (status, hubs) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes?tier=hub", ThreeHostGridFixture.Token, null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([ThreeHostGridFixture.HubNode], hubs!.AsArray().Select(n => n!["id"]!.GetValue<string>()));

        var badTier = await grid.RunAsync("nodes", "list", "--tier", "orbit");
        Assert.Equal(1, badTier.ExitCode);
        Assert.Contains("Unknown tier 'orbit'; use one of: device, edge, regional, hub.", badTier.Stderr);
        Assert.Single(badTier.Stderr.Trim().Split('\n'));
        Assert.Empty(badTier.Stdout.Trim());
        var badState = await grid.RunAsync("nodes", "list", "--state", "asleep");
        Assert.Equal(1, badState.ExitCode);
        Assert.Contains("Unknown state 'asleep'", badState.Stderr);
    }

    [Fact]
    public async Task Should_name_itself_actorgrid_in_the_help_usage_line()
    {
        var help = await grid.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("  actorgrid [command] [options]", help.Stdout);
        Assert.DoesNotContain("ActorGrid.Cli", help.Stdout);
        Assert.Contains("actorgrid audit export [options]", (await grid.RunAsync("audit", "export", "--help")).Stdout);
    }

    private async Task WaitForNodeStateAsync(string node, string state)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var nodes = (await grid.RunJsonAsync("nodes", "list")).AsArray();
            if (nodes.Any(n => n!["id"]!.GetValue<string>() == node && n["state"]!.GetValue<string>() == state)) return;
            Assert.True(deadline.Elapsed < Long, $"{node} never became {state} in 'nodes list': {nodes.ToJsonString()}");
            await Task.Delay(500);
        }
    }

    private async Task<List<string>> JournalManifestsAsync(string persistenceId)
    {
        await using var connection = new NpgsqlConnection(grid.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT manifest FROM journal WHERE persistence_id = @id ORDER BY sequence_number", connection);
        query.Parameters.AddWithValue("id", persistenceId);
        var manifests = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync()) manifests.Add(reader.GetString(0));
        return manifests;
    }
}
