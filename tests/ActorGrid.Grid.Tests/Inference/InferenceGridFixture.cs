using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Inference;

// One embedded grid for the inference specs, with two tenants and a 2 MiB model size limit so
// the too-large case needs no big upload.
public sealed class InferenceGridFixture : IAsyncLifetime
{
    public const string AdminToken = "inference-operator-token";

    public TestDirectory Directory { get; } = TestDirectory.Create("inference");

    public GridProcess Grid { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public string AcmeKey { get; private set; } = "";

    public string GlobexKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var config = Path.Combine(Directory.Path, "inference.hocon");
        await File.WriteAllTextAsync(config, "actorgrid.inference { max-model-bytes = 2MiB, max-request-bytes = 4MiB, max-queue-delay = 5ms }");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        Grid = GridProcess.Start("inference", ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", Directory.Sub("data"), "--config", config], AdminToken, Directory.Path);
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
public sealed class InferenceGridCollection : ICollectionFixture<InferenceGridFixture>
{
    public const string Name = "inference grid";
}
