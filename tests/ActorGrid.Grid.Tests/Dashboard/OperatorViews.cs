using System.Diagnostics;
using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// Small operator-side reads the dashboard specs share.
public static class OperatorViews
{
    // The embedded grid's own worker node; it registers with its first heartbeat after start.
    public static async Task<string> LocalNodeIdAsync(ApiClient api, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (status, nodes) = await api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", EmbeddedGridFixture.AdminToken, null);
            if (status == HttpStatusCode.OK && nodes!.AsArray() is [{ } node]) return node["id"]!.GetValue<string>();
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"GET /v1/nodes did not list exactly one node within {timeout.TotalSeconds:0} s: {(int)status} {nodes?.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    // GET /metrics, parsed.
    public static async Task<PrometheusText> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    // Scrapes until the metrics satisfy the condition: the observer hears of events through
    // pub-sub a moment after the API has answered, so the first scrape may be just too early.
    public static async Task<PrometheusText> ScrapeUntilAsync(HttpClient http, Func<PrometheusText, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var metrics = await ScrapeAsync(http);
            if (condition(metrics)) return metrics;
            if (watch.Elapsed > timeout) throw new TimeoutException($"/metrics did not show {what} within {timeout.TotalSeconds:0} s.");
            await Task.Delay(200);
        }
    }
}
