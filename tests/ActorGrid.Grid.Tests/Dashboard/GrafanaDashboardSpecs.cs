using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// deploy/grafana/actorgrid.json reads /metrics: every series its PromQL names must be one the
// gateway exposes, or the panel stays empty without saying why.
[Collection(DashboardGridCollection.Name)]
public sealed partial class GrafanaDashboardSpecs(DashboardGridFixture grid) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = grid.Grid.HttpBase, Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Should_query_only_series_that_the_gateways_metrics_endpoint_exposes()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "grafana", "actorgrid.json")))!;
        var expressions = dashboard["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => t!["expr"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(expressions);
        var queried = expressions.SelectMany(e => SeriesName().Matches(e).Select(m => m.Value)).ToHashSet();

        // One task through the grid, so the per-lane series have their first samples.
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("echo for the dashboard"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("succeeded", Tasks.State(await grid.Api.WaitForStateAsync(grid.AcmeKey, Tasks.Id(accepted), Tasks.IsTerminal, Long)));
        var scrape = await OperatorViews.ScrapeAsync(_http);

        // A histogram is queried by its _bucket series and declared by its family's # TYPE line.
        var exposed = scrape.Samples.Select(s => s.Name).Concat(scrape.Types.Keys).ToHashSet();
        var missing = queried.Where(name => !exposed.Contains(name) && !exposed.Contains(HistogramSuffix().Replace(name, ""))).Order().ToList();
        Assert.True(missing.Count == 0, $"the dashboard queries series /metrics does not expose: {string.Join(", ", missing)}");
        Assert.True(queried.Count >= 10, $"the dashboard should cover tasks, placement, nodes, inference, cluster and journal; it queries {string.Join(", ", queried)}");
    }

    [GeneratedRegex(@"\bactorgrid_[a-z0-9_]+")]
    private static partial Regex SeriesName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActorGrid.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no ActorGrid.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => _http.Dispose();
}
