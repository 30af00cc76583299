using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Dashboard;

// The dashboard's HTTP contract: the page and its assets, the sign-in that trades the operator
// token for a stream cookie, and the stream that only that cookie (or the token) opens.
[Collection(DashboardGridCollection.Name)]
public sealed class DashboardHttpSpecs(DashboardGridFixture grid) : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);

    // Cookies are handled by hand so each test says exactly what it sends.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false })
    {
        BaseAddress = grid.Grid.HttpBase,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    [Fact]
    public async Task Should_serve_the_page_and_its_assets_from_the_gateway_itself()
    {
        using var page = await _http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/dashboard/app.js\"></script>", html);
        Assert.DoesNotContain("https://", html); // nothing from elsewhere: the page works offline
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());

        using var script = await _http.GetAsync("/dashboard/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var styles = await _http.GetAsync("/dashboard/app.css");
        Assert.Equal("text/css", styles.Content.Headers.ContentType?.MediaType);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        using var notModified = await _http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var missing = await _http.GetAsync("/dashboard/secrets.txt");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Should_set_a_strict_http_only_stream_cookie_only_for_the_operator_token()
    {
        using var anonymous = await SignInAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var wrong = await SignInAsync("not-the-token");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        using var ok = await SignInAsync(DashboardGridFixture.AdminToken);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var cookie = ok.Headers.GetValues("Set-Cookie").Single().ToLowerInvariant();
        Assert.StartsWith("actorgrid_dashboard=", cookie);
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=strict", cookie);
        Assert.Contains("path=/v1/dashboard", cookie);
        Assert.DoesNotContain(DashboardGridFixture.AdminToken, cookie);
    }

    [Fact]
    public async Task Should_refuse_the_stream_without_a_valid_cookie_or_token()
    {
        using var none = await OpenStreamAsync(cookie: null, bearer: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);

        var cookie = await CookieAsync();
        var forged = cookie[..^4] + (cookie.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        using var tampered = await OpenStreamAsync(forged, bearer: null);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);

        using var tenant = await OpenStreamAsync(cookie: null, bearer: grid.AcmeKey);
        Assert.Equal(HttpStatusCode.Unauthorized, tenant.StatusCode);
    }

    [Fact]
    public async Task Should_open_the_stream_with_the_cookie_and_start_with_a_snapshot_of_the_grid()
    {
        var nodeId = await OperatorViews.LocalNodeIdAsync(grid.Api, TimeSpan.FromSeconds(60));
        var response = await OpenStreamAsync(await CookieAsync(), bearer: null);
        using var events = new DashboardEventReader(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var (name, data) = await events.NextAsync();
        Assert.Equal("snapshot", name);
        var snapshot = JsonNode.Parse(data)!;
        Assert.Contains(snapshot["summary"]!["members"]!.AsArray(), m => m!["status"]!.GetValue<string>() == "up");
        Assert.NotNull(snapshot["tasks"]!.AsArray());
        // The node has a green profile: the share is either its 62% or, when nothing was placed in
        // the last minute, absent; never "no profile".
        Assert.Contains(snapshot["summary"]!["greenShareStatus"]!.GetValue<string>(), new[] { "no-placements", "reported" });
        if (snapshot["summary"]!["greenShare"]?.GetValue<double?>() is { } green) Assert.Equal(DashboardGridFixture.GreenShare, green, 6);
        // The local node is there, or arrives with its next heartbeat.
        if (!snapshot["nodes"]!.AsArray().Any(n => n!["id"]!.GetValue<string>() == nodeId))
        {
            var seen = await events.NextAsync((n, d) => n == "node" && JsonNode.Parse(d)!["id"]!.GetValue<string>() == nodeId);
            Assert.Equal("node", seen.Name);
        }
    }

    public void Dispose() => _http.Dispose();

    private Task<HttpResponseMessage> SignInAsync(string? bearer) =>
        _http.SendAsync(ApiClient.Request(HttpMethod.Post, "/v1/dashboard/session", bearer));

    private async Task<string> CookieAsync()
    {
        using var ok = await SignInAsync(DashboardGridFixture.AdminToken);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        return ok.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    private async Task<HttpResponseMessage> OpenStreamAsync(string? cookie, string? bearer)
    {
        var request = ApiClient.Request(HttpMethod.Get, "/v1/dashboard/stream", bearer);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        using var cts = new CancellationTokenSource(ReadTimeout);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
    }
}
