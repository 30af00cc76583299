using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Bundles;

// An embedded grid of its own for the bundle specs: a small bundle limit, so 413 is cheap to
// provoke, and the attempts' directories (runs, the worker's bundle cache) in a known place beside
// the gateway's data, so specs can look for anything written outside a run directory.
public sealed class BundleGridFixture() : TwoTenantGridFixture("bundles", AdminToken)
{
    public const string AdminToken = EmbeddedGridFixture.AdminToken;
    public const int MaxBundleBytes = 64 * 1024;

    public string DataDirectory => Path.Combine(Directory.Path, "data");

    public string AttemptsRoot => Path.Combine(Directory.Path, "attempts");

    // Where the gateway keeps a bundle's bytes, and the record that a tenant owns it.
    public string StoredBundle(string sha256) => Path.Combine(DataDirectory, "bundles", "blobs", sha256 + ".tar");

    public string OwnerRecord(string tenant, string sha256) => Path.Combine(DataDirectory, "bundles", "owners", tenant, sha256 + ".json");

    protected override async Task<IReadOnlyList<string>> ExtraArgumentsAsync()
    {
        var config = Path.Combine(Directory.Path, "bundles.hocon");
        await File.WriteAllTextAsync(config,
            $"actorgrid.gateway.max-bundle-bytes = {MaxBundleBytes}\n" +
            $"actorgrid.workers.isolation.root = \"{AttemptsRoot}\"\n");
        return ["--config", config];
    }
}

[CollectionDefinition(Name)]
public sealed class BundleGridCollection : ICollectionFixture<BundleGridFixture>
{
    public const string Name = "bundle grid";
}
