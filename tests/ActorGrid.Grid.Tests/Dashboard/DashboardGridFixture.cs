using System.Globalization;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// The embedded grid of the dashboard and metrics specs (all roles, SQLite, two tenants), like
// EmbeddedGridFixture but with a node descriptor that publishes a green profile, so that the
// green share chart has something to show. CPU and memory are still detected from this machine.
public sealed class DashboardGridFixture : IAsyncLifetime
{
    public const string AdminToken = EmbeddedGridFixture.AdminToken;

    public const string NodeId = "dashboard-edge-1";

    // The same share in every hour of the day: the figure the page must show does not depend on the clock.
    public const double GreenShare = 0.62;

    public TestDirectory Directory { get; } = TestDirectory.Create("dashboard");

    public GridProcess Grid { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public string AcmeKey { get; private set; } = "";

    public string GlobexKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var node = Path.Combine(Directory.Path, "node.hocon");
        var hours = string.Join(", ", Enumerable.Repeat(GreenShare.ToString(CultureInfo.InvariantCulture), 24));
        await File.WriteAllTextAsync(node, $"node {{\n  id = {NodeId}\n  tier = edge\n  green-share-by-hour = [{hours}]\n}}\n");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        Grid = GridProcess.Start(
            "dashboard", ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", Directory.Sub("data"), "--node", node], AdminToken, Directory.Path);
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
