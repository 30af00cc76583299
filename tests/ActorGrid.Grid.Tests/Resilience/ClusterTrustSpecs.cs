using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ActorGrid.Grid.Tests.Cli;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// Only hosts holding a certificate from the cluster's CA are members. Real processes on loopback:
// a TLS core+gateway host and a TLS worker form the cluster and run a task; a host with a
// certificate from another CA, and a host without TLS, knock on the core's remoting port and
// are never let in, and the logs say why.
[Trait("Category", "Resilience")]
public class ClusterTrustSpecs(ITestOutputHelper output)
{
    private const string Token = "trust-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan RefusalWindow = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Should_write_a_CA_and_a_certificate_per_host_that_chains_to_it()
    {
        using var dir = TestDirectory.Create("certs");
        var folder = dir.Sub("certs");
        var result = await CliProcess.RunAsync(["certs", "init", "--out", folder, "--hosts", "core=127.0.0.1+core.lan,10.0.0.7"], token: null,
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());

        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.crt")));
        Assert.True(File.Exists(Path.Combine(folder, "ca.key")));
        Assert.False(ca.HasPrivateKey, "ca.crt must not carry the CA's key");
        using var core = ClusterCertificates.LoadHost(folder, "core");
        using var byIp = ClusterCertificates.LoadHost(folder, "10.0.0.7");
        Assert.True(core.HasPrivateKey);

        var san = core.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["core", "core.lan"], san.EnumerateDnsNames().Order());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Equal([IPAddress.Parse("10.0.0.7")], byIp.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
        var eku = core.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.Order());

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(core), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        // A second run issues only what is missing and keeps the CA.
        var again = await CliProcess.RunAsync(["certs", "init", "--out", folder, "--hosts", "core,worker-2"], token: null);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(ca.Thumbprint, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.crt"))).Thumbprint);
        Assert.Equal(core.Thumbprint, ClusterCertificates.LoadHost(folder, "core").Thumbprint);
        Assert.True(File.Exists(Path.Combine(folder, "worker-2.pfx")));
        output.WriteLine($"CA {ca.Subject}; core SANs {string.Join(",", san.EnumerateDnsNames())},{string.Join(",", san.EnumerateIPAddresses())}; rerun: {again.Stdout.Trim().Replace('\n', ' ')}");
    }

    [Fact]
    public async Task Should_admit_hosts_signed_by_the_cluster_CA_and_refuse_others_and_hosts_without_TLS()
    {
        await using var db = await PostgresDatabase.CreateAsync("trust");
        using var dir = TestDirectory.Create("trust");
        var certs = await ClusterCertificates.InitAsync(dir.Sub("certs"), "core=127.0.0.1", "edge=127.0.0.1");
        var foreign = await ClusterCertificates.InitAsync(dir.Sub("foreign"), "rogue=127.0.0.1");
        var ports = FreePorts.Next(5);
        // Existing scripts' akka.tcp:// seeds: TLS hosts rewrite them to akka.ssl.tcp://.
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        string[] Common(string name, int port) =>
            ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", db.Url, "--data", dir.Sub(name)];
        var nodes = Path.Combine(AppContext.BaseDirectory, "hocon", "nodes");

        var clock = Stopwatch.StartNew();
        await using var core = GridProcess.Start("core", [.. Common("core", ports[0]), "--roles", "core,gateway", "--http", $"127.0.0.1:{ports[3]}", .. ClusterCertificates.NodeArgs(certs, "core")], Token, dir.Path);
        await using var edge = GridProcess.Start("edge", [.. Common("edge", ports[1]), "--roles", "worker", "--node", Path.Combine(nodes, "edge-gateway.hocon"), .. ClusterCertificates.NodeArgs(certs, "edge")], Token, dir.Path);
        await core.WaitUntilReadyAsync(Long);
        using var api = new ApiClient(core.HttpBase);
        var view = new ClusterView(api, Token);
        Assert.True(await ClusterView.EventuallyAsync(async () => (await view.ReadyNodesAsync()).Contains("edge-gateway-ningbo-f03"), Long),
            $"the TLS worker never became ready\n{core.Tail()}\n{edge.Tail()}");
        var formed = clock.Elapsed;
        var members = await view.UpMembersAsync();
        Assert.Equal(2, members.Count);
        Assert.All(members, m => Assert.StartsWith("akka.ssl.tcp://actorgrid@127.0.0.1:", m));

        var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
        var id = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo over mutual tls"))).Body);
        var done = await api.WaitForStateAsync(key, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());

        // A host with its own CA's certificate, and one without TLS, both pointed at the core.
        await using var rogue = GridProcess.Start("rogue", [.. Common("rogue", ports[2]), "--roles", "worker", "--node", Path.Combine(nodes, "regional-cloud.hocon"), .. ClusterCertificates.NodeArgs(foreign, "rogue")], Token, dir.Path);
        await using var plain = GridProcess.Start("plain", [.. Common("plain", ports[4]), "--roles", "worker", "--node", Path.Combine(nodes, "gpu-hub.hocon")], Token, dir.Path);
        var knocked = await ClusterView.EventuallyAsync(() => Task.FromResult(
            core.Logs.Any(l => l.Contains("Refused cluster peer", StringComparison.Ordinal) && l.Contains("CN=rogue", StringComparison.Ordinal)) &&
            core.Logs.Any(l => l.Contains("not an SSL/TLS record", StringComparison.Ordinal))), Long);
        Assert.True(knocked, $"the core never logged refusing both strangers\n{core.Tail()}\n{rogue.Tail()}\n{plain.Tail()}");

        // Give them a fair window to get in anyway.
        var watch = Stopwatch.StartNew();
        var maxMembers = 0;
        var strangerNodes = new HashSet<string>();
        while (watch.Elapsed < RefusalWindow)
        {
            maxMembers = Math.Max(maxMembers, (await view.UpMembersAsync()).Count);
            strangerNodes.UnionWith((await view.ReadyNodesAsync()).Where(n => n is "regional-hangzhou-r1" or "hub-guizhou-h1"));
            await Task.Delay(500);
        }
        Assert.Equal(2, maxMembers);
        Assert.Empty(strangerNodes);
        // Whichever side's certificate check ran first: the rogue refuses the core's certificate,
        // or the core aborts the handshake and the rogue says it was refused, as it stops.
        var rogueSays = rogue.Logs.FirstOrDefault(l =>
            l.Contains("Refused cluster peer", StringComparison.Ordinal) || l.Contains("Refused by cluster peer", StringComparison.Ordinal));
        Assert.True(rogueSays is not null, $"the rogue's log never said why\n{rogue.Tail()}");
        // A rogue that stopped itself says why, and says it as it stopped, not only at exit.
        if (rogue.HasExited)
        {
            Assert.Equal(1, rogue.ExitCode);
            Assert.True(rogue.Logs.Any(l => l.Contains("Refused by cluster peer, stopping", StringComparison.Ordinal)), $"the rogue stopped without saying why\n{rogue.Tail()}");
        }
        var coreSaysRogue = core.Logs.First(l => l.Contains("Refused cluster peer", StringComparison.Ordinal));
        var coreSaysPlain = core.Logs.First(l => l.Contains("Rejected incoming connection", StringComparison.Ordinal));
        Assert.True(plain.Logs.Any(l => l.Contains("neither authenticated nor encrypted", StringComparison.Ordinal)), $"the host without TLS did not warn\n{plain.Tail()}");

        output.WriteLine($"TLS cluster formed in {formed.TotalSeconds:0.0}s; task {id} {Tasks.State(done)}");
        output.WriteLine($"over {RefusalWindow.TotalSeconds:0}s: at most {maxMembers} members up, stranger nodes listed: {strangerNodes.Count}; rogue exited: {rogue.HasExited} (code {rogue.ExitCode})");
        output.WriteLine("core on the rogue:   " + Cut(coreSaysRogue));
        output.WriteLine("core on plain:       " + Cut(coreSaysPlain));
        output.WriteLine("rogue on the core:   " + Cut(rogueSays!));
    }

    private static string Cut(string line) => line.Length > 400 ? line[..400] + "…" : line;
}
