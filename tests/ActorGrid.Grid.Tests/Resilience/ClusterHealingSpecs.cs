using System.Diagnostics;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// The only seed host — core and gateway — dies without a word and comes back; nobody touches
// the two workers. Within 30 s of the restart the three hosts are one cluster again, the
// gateway lists both workers ready, and a new task runs. Real processes on loopback, mutual TLS
// as deploy/local runs them, one PostgreSQL journal.
[Trait("Category", "Resilience")]
public class ClusterHealingSpecs(ITestOutputHelper output)
{
    private const string Token = "healing-token";
    private const string Edge = "edge-gateway-ningbo-f03";
    private const string Regional = "regional-hangzhou-r1";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan Whole = TimeSpan.FromSeconds(30);

    // The restarted seed remembers its peers (<data>/known-peers) and joins the cluster they kept.
    [Fact]
    public Task Should_make_the_cluster_whole_again_after_the_only_seed_host_is_killed_and_restarted() =>
        KillAndRestartTheSeedAsync("seed-restart", keepSeedData: true, workerConfig: null);

    // The restarted seed has lost its data folder and founds a cluster of one; the workers notice
    // they have no core, leave, and rejoin through the seed (actorgrid.cluster.rejoin-without-core-after).
    [Fact]
    public Task Should_bring_the_workers_back_when_the_seed_host_restarts_without_its_memory() =>
        KillAndRestartTheSeedAsync("seed-amnesia", keepSeedData: false, workerConfig: "actorgrid.cluster.rejoin-without-core-after = 5s\n");

    private async Task KillAndRestartTheSeedAsync(string label, bool keepSeedData, string? workerConfig)
    {
        await using var db = await PostgresDatabase.CreateAsync(label);
        using var dir = TestDirectory.Create(label);
        var certs = await ClusterCertificates.InitAsync(dir.Sub("certs"), "core=127.0.0.1", "edge=127.0.0.1", "regional=127.0.0.1");
        var ports = FreePorts.Next(4);
        var seed = $"akka.ssl.tcp://actorgrid@127.0.0.1:{ports[0]}";
        string[] Common(string name, string data, int port) =>
            ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", db.Url, "--data", data, .. ClusterCertificates.NodeArgs(certs, name)];
        string[] Worker(string name, int port, string descriptor)
        {
            string[] args = [.. Common(name, dir.Sub(name), port), "--roles", "worker", "--node", Path.Combine(AppContext.BaseDirectory, "hocon", "nodes", descriptor)];
            if (workerConfig is null) return args;
            var file = Path.Combine(dir.Path, "worker.hocon");
            File.WriteAllText(file, workerConfig);
            return [.. args, "--config", file];
        }
        string[] Core(string data) => [.. Common("core", data, ports[0]), "--roles", "core,gateway", "--http", $"127.0.0.1:{ports[3]}"];

        var core = GridProcess.Start("core", Core(dir.Sub("core")), Token, dir.Path);
        await using var edge = GridProcess.Start("edge", Worker("edge", ports[1], "edge-gateway.hocon"), Token, dir.Path);
        await using var regional = GridProcess.Start("regional", Worker("regional", ports[2], "regional-cloud.hocon"), Token, dir.Path);
        GridProcess? restarted = null;
        try
        {
            await core.WaitUntilReadyAsync(Long);
            using var api = new ApiClient(core.HttpBase);
            var view = new ClusterView(api, Token);
            Assert.True(await ClusterView.EventuallyAsync(async () => await IsWholeAsync(view), Long),
                $"the grid never formed\n{core.Tail()}\n{edge.Tail()}\n{regional.Tail()}");
            if (keepSeedData)
            {
                // What the fast path relies on: the seed wrote both workers down before it died.
                var peers = Path.Combine(dir.Path, "core", "known-peers");
                Assert.True(await ClusterView.EventuallyAsync(() => Task.FromResult(
                    File.Exists(peers) && File.ReadAllLines(peers).Count(l => l.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal)) == 2), Long),
                    $"{peers} never listed both workers");
            }

            await core.KillAsync();
            var clock = Stopwatch.StartNew();
            restarted = GridProcess.Start("core-restarted", Core(keepSeedData ? dir.Sub("core") : dir.Sub("core-fresh")), Token, dir.Path);
            await restarted.WaitUntilReadyAsync(Long);
            var httpBack = clock.Elapsed;
            var whole = await ClusterView.EventuallyAsync(async () => await IsWholeAsync(view), Long);
            var wholeAfter = clock.Elapsed;
            var members = await view.UpMembersAsync();
            Assert.True(whole, $"not one cluster again: members {string.Join(", ", members)}, ready {string.Join(", ", await view.ReadyNodesAsync())}\n" +
                               $"{restarted.Tail()}\n{edge.Tail()}\n{regional.Tail()}");

            var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
            var id = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo after the seed came back"))).Body);
            var done = await api.WaitForStateAsync(key, id, Tasks.IsTerminal, Long);
            Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
            var rejoins = edge.Logs.Concat(regional.Logs).Count(l => l.Contains("Leaving the cluster to rejoin", StringComparison.Ordinal));
            Assert.False(edge.HasExited || regional.HasExited, "a worker process exited: nobody may touch the workers");

            output.WriteLine($"{label}: seed restarted; HTTP back after {httpBack.TotalSeconds:0.0}s, one cluster of {members.Count} with both workers ready " +
                             $"after {wholeAfter.TotalSeconds:0.0}s (limit {Whole.TotalSeconds:0}s); worker in-process rejoins: {rejoins}; task {Tasks.State(done)}");
            Assert.True(wholeAfter < Whole, $"whole again only after {wholeAfter.TotalSeconds:0.0}s");
        }
        finally
        {
            if (restarted is not null) await restarted.DisposeAsync();
            await core.DisposeAsync();
        }
    }

    private static async Task<bool> IsWholeAsync(ClusterView view)
    {
        var members = await view.UpMembersAsync();
        if (members.Count != 3) return false;
        var ready = await view.ReadyNodesAsync();
        return ready.Contains(Edge) && ready.Contains(Regional);
    }
}
