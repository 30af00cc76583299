using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Gateway;

// An embedded grid of its own for the abuse-control specs, so their floods and queued tasks do
// not move the counters other specs read, with /metrics set to want the operator token although
// it binds to loopback (where "auto" would not ask for it).
public sealed class AbuseGridFixture() : TwoTenantGridFixture("abuse", AdminToken)
{
    public const string AdminToken = EmbeddedGridFixture.AdminToken;

    protected override async Task<IReadOnlyList<string>> ExtraArgumentsAsync()
    {
        var config = Path.Combine(Directory.Path, "abuse.hocon");
        await File.WriteAllTextAsync(config, "actorgrid.gateway.metrics-require-token = on\n");
        return ["--config", config];
    }
}

[CollectionDefinition(Name)]
public sealed class AbuseGridCollection : ICollectionFixture<AbuseGridFixture>
{
    public const string Name = "abuse grid";
}
