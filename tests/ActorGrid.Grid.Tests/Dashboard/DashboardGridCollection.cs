namespace ActorGrid.Grid.Tests.Dashboard;

// The dashboard and metrics specs get an embedded grid of their own, so the counters they
// read move only with the work they submit.
[CollectionDefinition(Name)]
public sealed class DashboardGridCollection : ICollectionFixture<DashboardGridFixture>
{
    public const string Name = "dashboard grid";
}
