using System.Diagnostics;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// Three hosts given no --seeds, only the same --contact-points list (--discovery config), form
// one cluster; the founder leaves (SIGTERM, as a preStop or systemctl stop would) or is killed,
// comes back with the same command line, and joins the cluster the other two kept instead of
// founding a second one. Real processes on loopback, mutual TLS as deploy/local runs it, one PostgreSQL journal.
[Trait("Category", "Resilience")]
public class ClusterDiscoverySpecs(ITestOutputHelper output)
{
    private const string Token = "discovery-token";
    private const string Edge = "edge-gateway-ningbo-f03";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    // Akka.Management's line when the lowest-addressed contact point founds the cluster: an INFO
    // line of Akka's, so the hosts run with --verbose.
    private const string FoundsCluster = "Initiating new cluster, self-joining";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Should_form_one_cluster_by_config_discovery_and_take_the_founder_back(bool leaves)
    {
        await using var db = await PostgresDatabase.CreateAsync("discovery");
        using var dir = TestDirectory.Create("discovery");
        var certs = await ClusterCertificates.InitAsync(dir.Sub("certs"), "a=127.0.0.1", "b=127.0.0.1", "c=127.0.0.1");
        var management = FreePorts.Next(3).Order().ToArray(); // a has the lowest contact point: it founds
        var remoting = FreePorts.Next(3);
        var http = FreePorts.Next(2);
        var contactPoints = string.Join(",", management.Select(p => $"127.0.0.1:{p}"));
        string[] Host(string name, int i) =>
        [
            "--hostname", "127.0.0.1", "--port", remoting[i].ToString(), "--discovery", "config", "--contact-points", contactPoints,
            "--management-port", management[i].ToString(), "--verbose", "--db", db.Url, "--data", dir.Sub(name), .. ClusterCertificates.NodeArgs(certs, name),
        ];
        string[] A() => [.. Host("a", 0), "--roles", "core,gateway", "--http", $"127.0.0.1:{http[0]}"];
        string[] B = [.. Host("b", 1), "--roles", "core,gateway", "--http", $"127.0.0.1:{http[1]}"];
        string[] C = [.. Host("c", 2), "--roles", "worker", "--node", Path.Combine(AppContext.BaseDirectory, "hocon", "nodes", "edge-gateway.hocon")];

        var clock = Stopwatch.StartNew();
        var a = GridProcess.Start("a", A(), Token, dir.Path);
        await using var b = GridProcess.Start("b", B, Token, dir.Path);
        await using var c = GridProcess.Start("c", C, Token, dir.Path);
        GridProcess? back = null;
        try
        {
            using var apiA = new ApiClient(a.HttpBase);
            using var apiB = new ApiClient(b.HttpBase);
            var viewA = new ClusterView(apiA, Token);
            var viewB = new ClusterView(apiB, Token);
            Assert.True(await ClusterView.EventuallyAsync(async () => await IsOneClusterOfThreeAsync(viewA, viewB), Long),
                $"the three hosts never formed one cluster\n{a.Tail()}\n{b.Tail()}\n{c.Tail()}");
            var formed = clock.Elapsed;
            Assert.Equal(1, new[] { a, b, c }.Count(h => h.Logs.Any(l => l.Contains(FoundsCluster, StringComparison.Ordinal))));
            Assert.Contains(a.Logs, l => l.Contains(FoundsCluster, StringComparison.Ordinal));

            if (leaves) Assert.True(await a.StopAsync(TimeSpan.FromSeconds(60)), $"a did not leave within 60 s of SIGTERM\n{a.Tail()}");
            else await a.KillAsync();
            Assert.True(await ClusterView.EventuallyAsync(async () => (await viewB.UpMembersAsync()).Count == 2, Long),
                $"b never saw a go\n{b.Tail()}");

            clock.Restart();
            back = GridProcess.Start("a-back", A(), Token, dir.Path);
            using var apiBack = new ApiClient(back.HttpBase);
            var viewBack = new ClusterView(apiBack, Token);
            Assert.True(await ClusterView.EventuallyAsync(async () => await IsOneClusterOfThreeAsync(viewBack, viewB), Long),
                $"a did not rejoin\n{back.Tail()}\n{b.Tail()}\n{c.Tail()}");
            var rejoined = clock.Elapsed;
            Assert.DoesNotContain(back.Logs, l => l.Contains(FoundsCluster, StringComparison.Ordinal));

            var key = await apiB.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
            var id = Tasks.Id((await apiBack.SubmitTaskAsync(key, Tasks.Shell("echo found by discovery"))).Body);
            var done = await apiBack.WaitForStateAsync(key, id, Tasks.IsTerminal, Long);
            Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
            output.WriteLine($"config discovery, mutual TLS: 3 hosts one cluster (worker ready) {formed.TotalSeconds:0.0}s after start; " +
                             $"the founder {(leaves ? "left" : "was killed")} and, restarted, was back in the same cluster after {rejoined.TotalSeconds:0.0}s; task {Tasks.State(done)}");
        }
        finally
        {
            if (back is not null) await back.DisposeAsync();
            await a.DisposeAsync();
        }
    }

    // Both gateways see the same three members up, and the worker is ready: one cluster, not two.
    private static async Task<bool> IsOneClusterOfThreeAsync(ClusterView one, ClusterView other)
    {
        var first = await one.UpMembersAsync();
        var second = await other.UpMembersAsync();
        return first.Count == 3 && first.Order().SequenceEqual(second.Order()) && (await one.ReadyNodesAsync()).Contains(Edge);
    }
}
