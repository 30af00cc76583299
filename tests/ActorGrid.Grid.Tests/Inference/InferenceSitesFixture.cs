using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Inference;

// A factory site and its regional cloud as four real processes on one PostgreSQL database:
// core+gateway (A), a second gateway (B), an edge worker at the factory (site ningbo-f03,
// at most 2 requests queued per model, so a burst saturates it) and a regional worker. The
// gateways keep tenant "brief"'s audit records for 5 s only and prune every second.
public sealed class InferenceSitesFixture : IAsyncLifetime
{
    public const string Token = "inference-sites-token";
    public const string FactorySite = "ningbo-f03";
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    private PostgresDatabase? _db;

    public TestDirectory Directory { get; } = TestDirectory.Create("inference-sites");

    public GridProcess GatewayA { get; private set; } = null!;

    public GridProcess GatewayB { get; private set; } = null!;

    public GridProcess EdgeWorker { get; private set; } = null!;

    public GridProcess RegionalWorker { get; private set; } = null!;

    public ApiClient ApiA { get; private set; } = null!;

    public ApiClient ApiB { get; private set; } = null!;

    public string Key { get; private set; } = "";

    public PostgresDatabase Database => _db!;

    public async Task InitializeAsync()
    {
        _db = await PostgresDatabase.CreateAsync("infsites");
        var edge = Descriptor("edge-ningbo", "edge", FactorySite);
        var regional = Descriptor("regional-hz", "regional", "hangzhou-rc");
        var edgeConfig = Path.Combine(Directory.Path, "edge-inference.hocon");
        await File.WriteAllTextAsync(edgeConfig, "actorgrid.inference { max-queue-per-model = 2 }");
        var gatewayConfig = Path.Combine(Directory.Path, "gateway-inference.hocon");
        await File.WriteAllTextAsync(gatewayConfig, "actorgrid.inference.audit {\n  tenant-retention { brief = 5s }\n  prune-interval = 1s\n}\n");
        var ports = FreePorts.Next(6);
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        GatewayA = GridProcess.Start("gateway-a", Host("gateway-a", ports[0], seed, "core,gateway", "--http", $"127.0.0.1:{ports[4]}", "--config", gatewayConfig), Token, Directory.Path);
        GatewayB = GridProcess.Start("gateway-b", Host("gateway-b", ports[1], seed, "gateway", "--http", $"127.0.0.1:{ports[5]}", "--config", gatewayConfig), Token, Directory.Path);
        EdgeWorker = GridProcess.Start("edge", Host("edge", ports[2], seed, "worker", "--node", edge, "--config", edgeConfig), Token, Directory.Path);
        RegionalWorker = GridProcess.Start("regional", Host("regional", ports[3], seed, "worker", "--node", regional), Token, Directory.Path);
        await GatewayA.WaitUntilReadyAsync(Long);
        await GatewayB.WaitUntilReadyAsync(Long);
        ApiA = new ApiClient(GatewayA.HttpBase);
        ApiB = new ApiClient(GatewayB.HttpBase);
        await WaitForInferenceHostsAsync(ApiA, 2);
        await WaitForInferenceHostsAsync(ApiB, 2);
        Key = await ApiA.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
    }

    public async Task DisposeAsync()
    {
        ApiA?.Dispose();
        ApiB?.Dispose();
        foreach (var process in new[] { GatewayA, GatewayB, EdgeWorker, RegionalWorker })
            if (process is not null) await process.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
        Directory.Dispose();
    }

    // Both workers publish their status a few times a second; a gateway routes only to those it heard.
    public static async Task<JsonArray> WaitForInferenceHostsAsync(ApiClient api, int count, string token = Token)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var (_, body) = await api.SendJsonAsync(HttpMethod.Get, "/v1/inference/hosts", token, null);
            if (body is JsonArray hosts && hosts.Count >= count) return hosts;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {count} inference hosts, saw {body?.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    public string[] Host(string name, int port, string seed, string roles, params string[] extra) =>
        ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", seed, "--db", _db!.Url, "--data", Directory.Sub(name), "--roles", roles, .. extra];

    private string Descriptor(string id, string tier, string site)
    {
        var file = Path.Combine(Directory.Path, id + ".hocon");
        File.WriteAllText(file, $$"""
            node {
              id = {{id}}
              tier = {{tier}}
              site = {{site}}
              zone = CN-ZJ
              cpu = 2
              memory-mib = 2048
            }
            """);
        return file;
    }
}
