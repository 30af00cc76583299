using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests;

// One embedded grid process (all roles, SQLite) shared by the gateway specs, with two tenants.
public sealed class EmbeddedGridFixture : IAsyncLifetime
{
    public const string AdminToken = "test-operator-token";

    public TestDirectory Directory { get; } = TestDirectory.Create("embedded");

    public GridProcess Grid { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public string AcmeKey { get; private set; } = "";

    public string GlobexKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        Grid = GridProcess.Start("embedded", ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", Directory.Sub("data")], AdminToken, Directory.Path);
        await Grid.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        Api = new ApiClient(Grid.HttpBase);
        AcmeKey = await Api.CreateTenantAsync(AdminToken, "acme", []);
        GlobexKey = await Api.CreateTenantAsync(AdminToken, "globex", []);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Grid.DisposeAsync();
        Directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedGridCollection : ICollectionFixture<EmbeddedGridFixture>
{
    public const string Name = "embedded grid";
}
