using System.Globalization;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// The embedded grid of the dashboard and metrics specs (all roles, SQLite, two tenants), like
// EmbeddedGridFixture but with a node descriptor that publishes a green profile, so that the
// green share chart has something to show. CPU and memory are still detected from this machine.
public sealed class DashboardGridFixture() : TwoTenantGridFixture("dashboard", AdminToken)
{
    public const string AdminToken = EmbeddedGridFixture.AdminToken;

    public const string NodeId = "dashboard-edge-1";

    // The same share in every hour of the day: the figure the page must show does not depend on the clock.
    public const double GreenShare = 0.62;

    protected override async Task<IReadOnlyList<string>> ExtraArgumentsAsync()
    {
        var node = Path.Combine(Directory.Path, "node.hocon");
        var hours = string.Join(", ", Enumerable.Repeat(GreenShare.ToString(CultureInfo.InvariantCulture), 24));
        await File.WriteAllTextAsync(node, $"node {{\n  id = {NodeId}\n  tier = edge\n  green-share-by-hour = [{hours}]\n}}\n");
        return ["--node", node];
    }
}
