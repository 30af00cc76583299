using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Streaming;

// What every server-sent-events endpoint shares: the response headers (no caching, no proxy
// buffering), and for the streams that read a store from a cursor, the step between reads: a
// comment line once the stream has been quiet for KeepAlive (so proxies keep the connection), then
// a wait for the endpoint's wake-up signal or Poll, whichever comes first.
internal static class Sse
{
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void SetHeaders(HttpResponse response)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    // Returns when the stream was last written to: now if it wrote the keep-alive, else quietSince.
    public static async Task<DateTimeOffset> KeepAliveAsync(HttpResponse response, DateTimeOffset quietSince, CancellationToken cancel)
    {
        var now = DateTimeOffset.UtcNow;
        if (now - quietSince <= KeepAlive) return quietSince;
        await response.WriteAsync(": keep-alive\n\n", cancel);
        await response.Body.FlushAsync(cancel);
        return now;
    }

    // Waits for a wake-up or the poll interval; only the client leaving (cancel) ends it by throwing.
    public static async Task WaitAsync(ChannelReader<object> signal, CancellationToken cancel)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        wait.CancelAfter(Poll);
        try
        {
            await signal.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
        }
    }
}
