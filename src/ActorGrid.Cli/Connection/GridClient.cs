using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace ActorGrid.Cli.Connection;

public sealed record GridReply(int Status, JsonNode? Body);

public sealed record ServerSentEvent(string Event, string Data);

// A reply that is not JSON (a CSV or JSON-lines export), with the headers that describe it.
public sealed record GridText(string Body, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

// The gateway's operator API over HTTP. Every failure becomes a CommandFailedException with an
// exit code and a sentence that says what to do, so palettes only handle the happy path.
public sealed class GridClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly string? _token;

    public GridClient(GridTarget target, string? token)
    {
        Target = target;
        _token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        // Loopback and LAN gateways must not go through a proxy the shell may have configured;
        // streams stay open, so there is no client-wide timeout (each call sets its own).
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = target.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public GridTarget Target { get; }

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancel) => SendAsync(HttpMethod.Get, path, null, cancel);

    public Task<JsonNode?> PostAsync(string path, JsonNode? body, CancellationToken cancel) => SendAsync(HttpMethod.Post, path, body, cancel);

    public Task<JsonNode?> PutAsync(string path, JsonNode? body, CancellationToken cancel) => SendAsync(HttpMethod.Put, path, body, cancel);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken cancel) => SendAsync(HttpMethod.Delete, path, null, cancel);

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancel) =>
        Parse((await ExchangeAsync(method, path, body, cancel)).Body);

    public Task<GridText> GetTextAsync(string path, CancellationToken cancel) => ExchangeAsync(HttpMethod.Get, path, null, cancel);

    private async Task<GridText> ExchangeAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(RequestTimeout);
        using var request = Request(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode) throw Refusal((int)response.StatusCode, Parse(text));
            var headers = response.Headers.Concat(response.Content.Headers)
                .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            return new GridText(text, headers);
        }
        catch (HttpRequestException ex)
        {
            throw CannotConnect(ex);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new CommandFailedException(ExitCodes.Unreachable,
                $"The gateway at {Target} did not answer within {RequestTimeout.TotalSeconds:0} s; check that the grid is up ('actorgrid {Target} cluster show').");
        }
    }

    // Server-Sent Events until the server ends the stream or the caller cancels (Ctrl-C).
    public async IAsyncEnumerable<ServerSentEvent> StreamAsync(string path, [EnumeratorCancellation] CancellationToken cancel)
    {
        using var request = Request(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        }
        catch (HttpRequestException ex)
        {
            throw CannotConnect(ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw Refusal((int)response.StatusCode, Parse(await response.Content.ReadAsStringAsync(cancel)));
            await using var stream = await response.Content.ReadAsStreamAsync(cancel);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? type = null;
            var data = new StringBuilder();
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cancel);
                }
                catch (IOException ex)
                {
                    throw new CommandFailedException(ExitCodes.Unreachable, $"The stream from {Target} broke off ({ex.Message}); run the command again.");
                }
                if (line is null) break;
                if (line.Length == 0)
                {
                    if (type is not null || data.Length > 0) yield return new ServerSentEvent(type ?? "message", data.ToString());
                    type = null;
                    data.Clear();
                    continue;
                }
                if (line[0] == ':') continue; // keep-alive comment
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                if (field == "event") type = value;
                else if (field == "data") data.Append(data.Length > 0 ? "\n" : "").Append(value);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        if (_token is null)
            throw new CommandFailedException(ExitCodes.Unreachable,
                "No operator token: pass --token <token> or set ACTORGRID_ADMIN_TOKEN (the gateway prints it at start-up, or see <data>/admin-token).");
        var request = new HttpRequestMessage(method, new Uri(path.TrimStart('/'), UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return request;
    }

    private CommandFailedException CannotConnect(HttpRequestException ex)
    {
        var why = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
        return new CommandFailedException(ExitCodes.Unreachable,
            $"Cannot reach the gateway at {Target} ({why}); start a gateway host or give its address first: 'actorgrid host:port <command>'.");
    }

    private CommandFailedException Refusal(int status, JsonNode? problem)
    {
        // Problem details carry the actionable sentence in "detail"; an unexpected server error
        // has only a title, which is still better than a multi-line JSON dump.
        var detail = (problem as JsonObject)?["detail"]?.ToString()
            ?? (problem as JsonObject)?["title"]?.ToString()
            ?? (problem is JsonValue text ? text.ToString() : "");
        detail = string.Join(' ', detail.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (problem is JsonObject obj && obj["errors"] is JsonObject errors)
            detail += " " + string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", (e.Value as JsonArray ?? []).Select(v => v?.ToString()))}"));
        return status switch
        {
            (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden => new CommandFailedException(ExitCodes.Unreachable,
                $"The gateway at {Target} refused the operator token ({detail.Trim()}); pass the right one with --token or ACTORGRID_ADMIN_TOKEN."),
            _ => new CommandFailedException(ExitCodes.Refused, $"{(detail.Length > 0 ? detail.Trim() : "The gateway said no")} (HTTP {status})"),
        };
    }

    private static JsonNode? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
