using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests;

// One embedded grid process (all roles, SQLite) shared by the gateway specs, with two tenants.
public sealed class EmbeddedGridFixture() : TwoTenantGridFixture("embedded", AdminToken)
{
    public const string AdminToken = "test-operator-token";
}

[CollectionDefinition(Name)]
public sealed class EmbeddedGridCollection : ICollectionFixture<EmbeddedGridFixture>
{
    public const string Name = "embedded grid";
}
