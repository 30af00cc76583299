using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

public sealed class SandboxGridFixture() : TwoTenantGridFixture("sandbox-escape", "sandbox-escape-token");

// A tenant's code is untrusted: each test here is what an attacker tried on a worker, run as a
// real task in the real sandbox (bubblewrap, setpriv, cgroups) of an embedded grid process.
[Trait("Category", "Resilience")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxEscapeSpecs(SandboxGridFixture grid, ITestOutputHelper output) : IClassFixture<SandboxGridFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private const string AdminToken = "sandbox-escape-token";

    private ApiClient Api => grid.Api;

    private string DataDir => Path.Combine(grid.Directory.Path, "data");

    [Fact]
    public async Task Should_not_let_a_task_read_the_node_token_journal_or_environment()
    {
        var pid = grid.Grid.Pid;
        var task = await RunAsync(grid.AcmeKey, $"""
            echo "uid=$(id -u)"
            cat /proc/{pid}/environ; echo
            cat /proc/1/environ; echo
            cat '{DataDir}/admin-token'; echo
            ls -la '{DataDir}'
            head -c 64 '{DataDir}/actorgrid.db'; echo
            env
            """);
        var stdout = task["stdoutTail"]!.GetValue<string>();
        var stderr = task["stderrTail"]!.GetValue<string>();
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.DoesNotContain(AdminToken, stdout);
        Assert.DoesNotContain("ACTORGRID_ADMIN_TOKEN", stdout);
        Assert.DoesNotContain("SQLite format", stdout);
        Assert.DoesNotContain("DOTNET_", stdout);
        var uid = int.Parse(stdout.Split('\n').First(l => l.StartsWith("uid=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
        Assert.NotEqual(0, uid);
        Assert.NotEqual(NodeUid(), uid);
        Assert.Contains($"/proc/{pid}/environ: No such file", stderr);
        Assert.Contains("admin-token: No such file", stderr);
        // The data directory is the node's alone, whatever a process outside a sandbox tries.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(DataDir));
    }

    [Fact]
    public async Task Should_not_let_a_task_signal_the_node()
    {
        var task = await RunAsync(grid.AcmeKey, $"kill -9 {grid.Grid.Pid}; echo kill=$?; kill -STOP {grid.Grid.Pid}; echo stop=$?");
        output.WriteLine(task["stdoutTail"]!.GetValue<string>() + task["stderrTail"]!.GetValue<string>());
        Assert.Contains("kill=1", task["stdoutTail"]!.GetValue<string>());
        Assert.False(grid.Grid.HasExited, "the node died");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Api.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Should_keep_one_tenants_checkpoint_and_working_directories_from_another()
    {
        // Globex leaves a secret in its checkpoint and working directories and keeps running.
        var (_, accepted) = await Api.SubmitTaskAsync(grid.GlobexKey, Tasks.Shell(
            "echo globex-secret > \"$ACTORGRID_CHECKPOINT_DIR/secret\"; echo globex-secret > secret; echo '{\"progress\":0.1}'; sleep 30", timeoutSeconds: 60));
        var globexTask = Tasks.Id(accepted);
        await WaitForProgressAsync(grid.GlobexKey, globexTask);
        var checkpointDir = Directory.EnumerateDirectories("/var/lib/actorgrid/attempts", globexTask, SearchOption.AllDirectories)
            .Single(d => Path.GetFileName(Path.GetDirectoryName(d)) == "checkpoints");
        var runs = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(checkpointDir))!, "runs");
        var runDir = Path.Combine(runs, globexTask + "-1");
        var outputDir = runDir + ".output"; // where a training attempt leaves its model: private too
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(checkpointDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(runDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(outputDir));

        var acme = await RunAsync(grid.AcmeKey, $"""
            cat '{checkpointDir}/secret'; cat '{runDir}/secret'; ls '{outputDir}'
            ls /var/lib/actorgrid/attempts
            cat /checkpoint/../runs/*/secret
            echo "acme uid=$(id -u)"
            """);
        var all = acme["stdoutTail"]!.GetValue<string>() + acme["stderrTail"]!.GetValue<string>();
        output.WriteLine(all);
        Assert.DoesNotContain("globex-secret", all);
        Assert.Contains("No such file", all);
        await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{globexTask}", grid.GlobexKey, null);
    }

    [Fact]
    public async Task Should_end_a_task_that_exceeds_its_memory_as_failed_out_of_memory()
    {
        // dd holds a 300 MiB buffer and fills it; the task declared 64 MiB.
        var task = await RunAsync(grid.AcmeKey, "dd if=/dev/zero of=/dev/null bs=300M count=1; echo survived; sleep 20");
        output.WriteLine(task.ToJsonString());
        Assert.Equal("failed", Tasks.State(task));
        var attempt = task["attempts"]![0]!;
        Assert.Equal("out of memory: limit 64 MiB", attempt["reason"]!.GetValue<string>());
        Assert.False(grid.Grid.HasExited);
    }

    [Fact]
    public async Task Should_stop_a_fork_bomb_at_the_pids_limit()
    {
        var task = await RunAsync(grid.AcmeKey, "bomb() { bomb | bomb; }; bomb", timeoutSeconds: 10);
        var reason = task["attempts"]![0]!["reason"]?.GetValue<string>() ?? "";
        output.WriteLine($"{Tasks.State(task)}: {reason}");
        Assert.NotEqual("succeeded", Tasks.State(task));
        Assert.Contains("the process limit (256) refused", reason);
        Assert.False(grid.Grid.HasExited);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Api.Http.GetAsync("/healthz")).StatusCode);
        Assert.Equal("succeeded", Tasks.State(await RunAsync(grid.AcmeKey, "echo still serving")));
    }

    [Fact]
    public async Task Should_hold_a_task_to_its_cpu_quota()
    {
        // Two busy loops for 3 s under a quota of half a core: at most ~1.5 s of CPU between them.
        var body = Tasks.Shell("timeout 3 sh -c 'while :; do :; done' & timeout 3 sh -c 'while :; do :; done' & wait; times");
        body["requirements"]!["cpu"] = 0.5;
        var (_, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, body);
        var task = await Api.WaitForStateAsync(grid.AcmeKey, Tasks.Id(accepted), Tasks.IsTerminal, Long);
        var lines = task["stdoutTail"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var children = lines[^1].Split(' ').Select(Seconds).Sum();
        output.WriteLine($"cpu time of two busy loops over 3 s wall with cpu 0.5: {children:0.00} s (unlimited on 2 cores: up to 6 s)");
        Assert.InRange(children, 0.1, 0.5 * 3 * 1.3);
    }

    [Fact]
    public async Task Should_show_how_each_node_sandboxes_its_attempts()
    {
        var nodes = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", AdminToken, null)).Body!.AsArray();
        Assert.All(nodes, n => Assert.Equal("on", n!["sandbox"]!.GetValue<string>()));
    }

    private async Task<JsonNode> RunAsync(string key, string script, int timeoutSeconds = 60)
    {
        var (status, accepted) = await Api.SubmitTaskAsync(key, Tasks.Shell(script, maxAttempts: 1, timeoutSeconds: timeoutSeconds));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        return await Api.WaitForStateAsync(key, Tasks.Id(accepted), Tasks.IsTerminal, Long);
    }

    private async Task WaitForProgressAsync(string key, string id)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            if ((await Api.GetTaskAsync(key, id))["progress"] is { } p && p.GetValue<double>() > 0) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{id} never reported progress");
    }

    // `times` prints "0m1.23s 0m0.00s".
    private static double Seconds(string field)
    {
        var m = field.IndexOf('m');
        return int.Parse(field[..m], CultureInfo.InvariantCulture) * 60 + double.Parse(field[(m + 1)..].TrimEnd('s'), CultureInfo.InvariantCulture);
    }

    private static int NodeUid() =>
        int.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
