namespace ActorGrid.Grid.Tests.Infrastructure;

// An embedded grid process (all roles, SQLite) with two tenants, acme and globex, shared by a test
// collection. Subclasses name it, pick its operator token and add node options (a descriptor, an
// extra HOCON file) written into its directory.
public abstract class TwoTenantGridFixture(string name, string adminToken) : IAsyncLifetime
{
    public TestDirectory Directory { get; } = TestDirectory.Create(name);

    public GridProcess Grid { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public string AcmeKey { get; private set; } = "";

    public string GlobexKey { get; private set; } = "";

    protected virtual Task<IReadOnlyList<string>> ExtraArgumentsAsync() => Task.FromResult<IReadOnlyList<string>>([]);

    public async Task InitializeAsync()
    {
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        string[] args = ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", Directory.Sub("data"), .. await ExtraArgumentsAsync()];
        Grid = GridProcess.Start(name, args, adminToken, Directory.Path);
        await Grid.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        Api = new ApiClient(Grid.HttpBase);
        AcmeKey = await Api.CreateTenantAsync(adminToken, "acme", []);
        GlobexKey = await Api.CreateTenantAsync(adminToken, "globex", []);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Grid.DisposeAsync();
        Directory.Dispose();
    }
}
