using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Cli;

// One three-host grid on loopback for all CLI specs, sharing a PostgreSQL journal:
// "core" (core, gateway and a worker for the hub node), "edge" and "regional" (workers).
// Started once per class because every start costs seconds on this machine.
public sealed class ThreeHostGridFixture : IAsyncLifetime
{
    public const string Token = "cli-operator-token";
    public const string EdgeNode = "edge-gateway-ningbo-f03";
    public const string RegionalNode = "regional-hangzhou-r1";
    public const string HubNode = "hub-guizhou-h1";
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(150);

    private PostgresDatabase _db = null!;

    public TestDirectory Directory { get; } = TestDirectory.Create("cli");
    public GridProcess Core { get; private set; } = null!;
    public GridProcess Edge { get; private set; } = null!;
    public GridProcess Regional { get; private set; } = null!;
    public ApiClient Api { get; private set; } = null!;
    public string Target => $"{Core.HttpBase.Host}:{Core.HttpBase.Port}";
    public string CoreAddress { get; private set; } = "";
    public string EdgeAddress { get; private set; } = "";
    public string RegionalAddress { get; private set; } = "";
    public string AcmeKey { get; private set; } = "";
    public string DatabaseConnectionString => _db.ConnectionString;

    public async Task InitializeAsync()
    {
        _db = await PostgresDatabase.CreateAsync("cli");
        var ports = FreePorts.Next(4);
        CoreAddress = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        EdgeAddress = $"akka.tcp://actorgrid@127.0.0.1:{ports[1]}";
        RegionalAddress = $"akka.tcp://actorgrid@127.0.0.1:{ports[2]}";
        string[] Common(string name, int port) =>
            ["--hostname", "127.0.0.1", "--port", port.ToString(), "--seeds", CoreAddress, "--db", _db.Url, "--data", Directory.Sub(name)];
        var nodes = Path.Combine(AppContext.BaseDirectory, "hocon", "nodes");

        Core = GridProcess.Start("core", [.. Common("core", ports[0]), "--roles", "core,gateway,worker", "--node", Path.Combine(nodes, "gpu-hub.hocon"), "--http", $"127.0.0.1:{ports[3]}"], Token, Directory.Path);
        Edge = GridProcess.Start("edge", [.. Common("edge", ports[1]), "--roles", "worker", "--node", Path.Combine(nodes, "edge-gateway.hocon")], Token, Directory.Path);
        Regional = GridProcess.Start("regional", [.. Common("regional", ports[2]), "--roles", "worker", "--node", Path.Combine(nodes, "regional-cloud.hocon")], Token, Directory.Path);
        await Core.WaitUntilReadyAsync(Long);
        Api = new ApiClient(Core.HttpBase);
        await WaitForReadyNodesAsync(3);
        AcmeKey = await Api.CreateTenantAsync(Token, "acme", ["CN-ZJ", "CN-GZ"]);
    }

    public Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync([Target, .. args], Token);

    public async Task<JsonNode> RunJsonAsync(params string[] args)
    {
        var result = await RunAsync([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"actorgrid {string.Join(' ', args)} --json failed: {result}");
        return JsonNode.Parse(result.Stdout) ?? throw new InvalidOperationException($"no JSON from actorgrid {string.Join(' ', args)}");
    }

    private async Task WaitForReadyNodesAsync(int count)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var nodes = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", Token, null)).Body;
            if (nodes is JsonArray list && list.Count(n => n!["state"]!.GetValue<string>() == "ready") >= count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {count} ready nodes, saw {nodes?.ToJsonString()}\n{Core.Tail()}");
            await Task.Delay(500);
        }
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        foreach (var host in new[] { Regional, Edge, Core })
            if (host is not null) await host.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
        Directory.Dispose();
    }
}
