using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// Where a host cannot sandbox, tenants' tasks are refused unless the operator turns the sandbox
// off on purpose, and then the grid says so, loudly and in /v1/nodes.
[Trait("Category", "Resilience")]
public sealed class SandboxModeSpecs(ITestOutputHelper output)
{
    private const string Token = "sandbox-mode-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Should_refuse_tenant_tasks_where_the_host_cannot_sandbox_them()
    {
        await using var grid = await StartAsync("sandbox-unavailable", "actorgrid.workers.isolation.bwrap = \"/nonexistent/bwrap\"");
        var nodes = (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", Token, null)).Body!.AsArray();
        Assert.Equal("unavailable", nodes.Single()!["sandbox"]!.GetValue<string>());
        var (_, accepted) = await grid.Api.SubmitTaskAsync(grid.Key, Tasks.Shell("echo should never run"));
        var id = Tasks.Id(accepted);
        var deadline = DateTime.UtcNow + Long;
        string seen;
        do
        {
            await Task.Delay(300);
            seen = (await grid.Api.GetTaskAsync(grid.Key, id)).ToJsonString();
        }
        while (!seen.Contains("cannot sandbox", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        output.WriteLine(seen);
        Assert.Contains("cannot sandbox", seen);
        Assert.Equal("queued", Tasks.State(await grid.Api.GetTaskAsync(grid.Key, id)));
        Assert.Contains(grid.Host.Logs, l => l.Contains("refuses tenant tasks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_run_unsandboxed_only_when_the_operator_says_so_and_say_it()
    {
        await using var grid = await StartAsync("sandbox-off", "actorgrid.workers.sandbox = off");
        var nodes = (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", Token, null)).Body!.AsArray();
        Assert.Equal("off", nodes.Single()!["sandbox"]!.GetValue<string>());
        Assert.Single(grid.Host.Logs, l => l.Contains("SANDBOX OFF", StringComparison.Ordinal));
        var (_, accepted) = await grid.Api.SubmitTaskAsync(grid.Key, Tasks.Shell("echo uid=$(id -u); env"));
        var task = await grid.Api.WaitForStateAsync(grid.Key, Tasks.Id(accepted), Tasks.IsTerminal, Long);
        var stdout = task["stdoutTail"]!.GetValue<string>();
        Assert.Equal("succeeded", Tasks.State(task));
        // The node's own user, as the operator chose.
        Assert.Contains("uid=" + File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1], stdout);
        // Even unsandboxed, an attempt does not inherit the node's secrets.
        Assert.DoesNotContain(Token, stdout);
    }

    private static async Task<Grid> StartAsync(string name, string hocon)
    {
        var dir = TestDirectory.Create(name);
        var config = Path.Combine(dir.Path, "extra.conf");
        await File.WriteAllTextAsync(config, hocon);
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        var host = GridProcess.Start(name, ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", dir.Sub("data"), "--config", config], Token, dir.Path);
        await host.WaitUntilReadyAsync(Long);
        var api = new ApiClient(host.HttpBase);
        var key = await api.CreateTenantAsync(Token, "acme", []);
        var deadline = DateTime.UtcNow + Long;
        while ((await api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", Token, null)).Body!.AsArray().Count == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        return new Grid(dir, host, api, key);
    }

    private sealed record Grid(TestDirectory Dir, GridProcess Host, ApiClient Api, string Key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await Host.DisposeAsync();
            Dir.Dispose();
        }
    }
}
