using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ActorGrid.Grid.Tests.Infrastructure;

/// <summary>One Server-Sent Event: its <c>event:</c> type and its <c>data:</c> text (JSON for task events).</summary>
public sealed record SseEvent(string Event, string Data)
{
    public JsonNode? Json => JsonNode.Parse(Data);
}

/// <summary>
/// The gateway's public HTTP contract as tests use it. It speaks raw HTTP and
/// JSON rather than sharing the server's DTOs, so a change to the wire format
/// breaks these tests the way it would break a user's curl script.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client for a gateway at <paramref name="baseAddress"/> (e.g. <see cref="GridProcess.HttpBase"/>).</summary>
    public ApiClient(Uri baseAddress)
        // No proxy for loopback; no client-wide timeout, because event streams stay open (each call sets its own).
        : this(new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        }, ownsHttp: true)
    {
    }

    /// <summary>Wraps an existing client, e.g. one from WebApplicationFactory; it is not disposed here.</summary>
    public ApiClient(HttpClient http) : this(http, ownsHttp: false)
    {
    }

    private ApiClient(HttpClient http, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
    }

    public HttpClient Http => _http;

    /// <summary>POST /v1/tenants as operator; returns the new tenant's API key (expects 201).</summary>
    public async Task<string> CreateTenantAsync(
        string adminToken, string id, IEnumerable<string> zones, string? name = null, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["id"] = id,
            ["name"] = name ?? id,
            ["zones"] = new JsonArray(zones.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray()),
        };
        var (status, json) = await SendJsonAsync(HttpMethod.Post, "/v1/tenants", adminToken, body, ct);
        if (status != HttpStatusCode.Created)
            throw new HttpRequestException($"POST /v1/tenants expected 201, got {(int)status}: {json?.ToJsonString()}");
        return json?["apiKey"]?.GetValue<string>()
               ?? throw new InvalidOperationException($"POST /v1/tenants returned no apiKey: {json?.ToJsonString()}");
    }

    /// <summary>Polls GET /v1/nodes (as the operator) until at least <paramref name="count"/> nodes are ready.</summary>
    public async Task WaitForReadyNodesAsync(string adminToken, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var nodes = (await SendJsonAsync(HttpMethod.Get, "/v1/nodes", adminToken, null)).Body;
            if (nodes is JsonArray list && list.Count(n => n!["state"]!.GetValue<string>() == "ready") >= count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {count} ready nodes, saw {nodes?.ToJsonString()}");
            await Task.Delay(500);
        }
    }

    /// <summary>POST /v1/tasks; returns the status and body as they are, so tests can assert on 4xx problems too.</summary>
    public Task<(HttpStatusCode Status, JsonNode? Body)> SubmitTaskAsync(
        string apiKey, JsonObject body, CancellationToken ct = default) =>
        SendJsonAsync(HttpMethod.Post, "/v1/tasks", apiKey, body, ct);

    /// <summary>GET /v1/tasks/{id}; throws unless 200.</summary>
    public async Task<JsonNode> GetTaskAsync(string apiKey, string id, CancellationToken ct = default)
    {
        var (status, json) = await SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{Uri.EscapeDataString(id)}", apiKey, null, ct);
        if (status != HttpStatusCode.OK || json is null)
            throw new HttpRequestException($"GET /v1/tasks/{id} expected 200, got {(int)status}: {json?.ToJsonString()}");
        return json;
    }

    /// <summary>
    /// Polls the task until <paramref name="predicate"/> accepts its state; returns that task.
    /// Polling (not the event stream) so it also works across a gateway restart.
    /// </summary>
    public async Task<JsonNode> WaitForStateAsync(
        string apiKey, string id, Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        JsonNode? last = null;
        string? lastError = null;
        while (watch.Elapsed < timeout)
        {
            try
            {
                last = await GetTaskAsync(apiKey, id, ct);
                if (last["state"]?.GetValue<string>() is { } state && predicate(state))
                    return last;
            }
            catch (HttpRequestException e) { lastError = e.Message; } // e.g. gateway still starting
            await Task.Delay(200, ct);
        }
        throw new TimeoutException(
            $"Task {id} did not reach the expected state within {timeout.TotalSeconds:0} s. " +
            $"Last seen: {last?.ToJsonString() ?? "nothing"}{(lastError is null ? "" : $"; last error: {lastError}")}");
    }

    /// <summary>
    /// Reads GET /v1/tasks/{id}/events until the server ends the stream (after a terminal
    /// state). A stream still open at <paramref name="timeout"/> is a failure, reported with what arrived.
    /// </summary>
    public Task<IReadOnlyList<SseEvent>> ReadEventStreamAsync(
        string apiKey, string id, TimeSpan timeout, CancellationToken ct = default) =>
        ReadStreamAsync(apiKey, $"/v1/tasks/{Uri.EscapeDataString(id)}/events", timeout, ct);

    /// <summary>Reads any of the gateway's SSE streams at <paramref name="path"/> until the server ends it.</summary>
    public async Task<IReadOnlyList<SseEvent>> ReadStreamAsync(
        string apiKey, string path, TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var events = new List<SseEvent>();
        try
        {
            using var request = Request(HttpMethod.Get, path, apiKey);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                throw new HttpRequestException(
                    $"GET {path} expected 200 text/event-stream, got {(int)response.StatusCode} " +
                    $"{response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync(cts.Token)}");

            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? type = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    // A blank line dispatches the event gathered so far (SSE spec).
                    if (type is not null || data.Length > 0)
                        events.Add(new SseEvent(type ?? "message", data.ToString()));
                    type = null;
                    data.Clear();
                    continue;
                }
                if (line[0] == ':') continue; // comment, used as keep-alive
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' ')) value = value[1..];
                switch (field)
                {
                    case "event": type = value; break;
                    case "data":
                        if (data.Length > 0) data.Append('\n');
                        data.Append(value);
                        break;
                }
            }
            if (type is not null || data.Length > 0) // stream ended without the final blank line
                events.Add(new SseEvent(type ?? "message", data.ToString()));
            return events;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Event stream {path} still open after {timeout.TotalSeconds:0} s; received " +
                $"{events.Count} event(s): {string.Join(", ", events.Select(e => e.Event))}");
        }
    }

    /// <summary>Any request with a bearer token and an optional JSON body; for auth and validation tests.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendJsonAsync(
        HttpMethod method, string path, string? bearer, JsonNode? body, CancellationToken ct = default)
    {
        using var request = Request(method, path, bearer);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await SendAsync(request, ct);
    }

    /// <summary>Sends a prepared request (e.g. a malformed or oversize body); returns status and parsed JSON body.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpRequestMessage request, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await _http.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        return (response.StatusCode, ParseOrWrap(text));
    }

    /// <summary>A GET of one page of a listing: status, body and the Link rel="next" URL, if any.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body, string? Next)> GetPageAsync(string path, string? bearer, CancellationToken ct = default)
    {
        using var request = Request(HttpMethod.Get, path, bearer);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(RequestTimeout);
        using var response = await _http.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var next = response.Headers.TryGetValues("Link", out var links)
            ? links.Select(l => l.Split(';')).Where(p => p.Length == 2 && p[1].Trim() == "rel=\"next\"").Select(p => p[0].Trim().Trim('<', '>')).SingleOrDefault()
            : null;
        return (response.StatusCode, ParseOrWrap(text), next);
    }

    /// <summary>A request with <c>Authorization: Bearer …</c> when <paramref name="bearer"/> is given.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? bearer)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return request;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    // Error bodies should be problem+json, but a test reporting a failure needs
    // to show whatever came back, so non-JSON text is kept as a JSON string.
    private static JsonNode? ParseOrWrap(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return JsonValue.Create(text); }
    }
}
