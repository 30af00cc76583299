using System.Diagnostics;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Grid;

// Three real hosts on loopback sharing one PostgreSQL journal: a core+gateway host and two
// workers with different node descriptors. Tasks submitted at the gateway run on the workers,
// and when a worker host is killed its task is re-placed on the other and still succeeds.
public class MultiHostSpecs
{
    private const string Token = "multi-host-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Should_run_tasks_on_another_host_and_survive_the_loss_of_a_worker_host()
    {
        await using var db = await PostgresDatabase.CreateAsync("multihost");
        using var dir = TestDirectory.Create("multihost");
        var ports = FreePorts.Next(5);
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        string[] Common(string name, int port) =>
            ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", db.Url, "--data", dir.Sub(name)];
        var nodes = Path.Combine(AppContext.BaseDirectory, "hocon", "nodes");

        var clock = Stopwatch.StartNew();
        await using var core = GridProcess.Start("core", [.. Common("core", ports[0]), "--roles", "core,gateway", "--http", $"127.0.0.1:{ports[3]}"], Token, dir.Path);
        await using var edge = GridProcess.Start("edge", [.. Common("edge", ports[1]), "--roles", "worker", "--node", Path.Combine(nodes, "edge-gateway.hocon")], Token, dir.Path);
        await using var regional = GridProcess.Start("regional", [.. Common("regional", ports[2]), "--roles", "worker", "--node", Path.Combine(nodes, "regional-cloud.hocon"), "--http", $"127.0.0.1:{ports[4]}"], Token, dir.Path);
        await core.WaitUntilReadyAsync(Long);
        await regional.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(core.HttpBase);
        await api.WaitForReadyNodesAsync(Token, 2, Long);
        var formed = clock.Elapsed;

        var cluster = (await api.SendJsonAsync(HttpMethod.Get, "/v1/cluster", Token, null)).Body!;
        Assert.Equal(3, cluster["members"]!.AsArray().Count(m => m!["status"]!.GetValue<string>() == "up"));

        var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
        var quick = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo from a worker"))).Body);
        var events = await api.ReadEventStreamAsync(key, quick, Long);
        Assert.Equal("succeeded", events[^1].Event);
        var quickTask = await api.GetTaskAsync(key, quick);
        var ranOn = quickTask["attempts"]![0]!["node"]!.GetValue<string>();
        Assert.Contains(ranOn, new[] { "edge-gateway-ningbo-f03", "regional-hangzhou-r1" });

        // A long task; kill the host that runs it, without warning.
        var longId = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("sleep 6; echo survived", maxAttempts: 3))).Body);
        var running = await api.WaitForStateAsync(key, longId, s => s == "running", Long);
        var victimNode = running["attempts"]![0]!["node"]!.GetValue<string>();
        var victim = victimNode.StartsWith("edge") ? edge : regional;
        var killedAt = clock.Elapsed;
        await victim.KillAsync();

        var done = await api.WaitForStateAsync(key, longId, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", $"task ended {Tasks.State(done)}: {done.ToJsonString()}\ncore log:\n{core.Tail(80)}");
        var attempts = done["attempts"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("node-lost", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal(victimNode, attempts[0]!["node"]!.GetValue<string>());
        Assert.NotEqual(victimNode, attempts[1]!["node"]!.GetValue<string>());
        Assert.Equal(0, attempts[1]!["exitCode"]!.GetValue<int>());
        Assert.Equal("survived\n", done["stdoutTail"]!.GetValue<string>());

        var replacedAfter = DateTimeOffset.Parse(attempts[1]!["placedAt"]!.GetValue<string>()) - DateTimeOffset.Parse(attempts[0]!["startedAt"]!.GetValue<string>());
        Console.WriteLine($"cluster formed in {formed.TotalSeconds:0.0}s; task re-placed {replacedAfter.TotalSeconds:0.0}s after its first start (host killed at {killedAt.TotalSeconds:0.0}s)");
    }

}
