using ActorGrid.Gateway.Streaming;
using System.Text.Json;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Observability;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ActorGrid.Gateway.Dashboard;

// The operator dashboard: the page at /, its assets under /dashboard/, and under /v1/dashboard
// the sign-in that sets the stream cookie, a one-off snapshot, and the live event stream.
public static class DashboardApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => DashboardAssets.Serve("index.html", http)).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file, HttpContext http) => DashboardAssets.Serve(file, http)).ExcludeFromDescription();

        var group = app.MapGroup("/v1/dashboard").WithTags("Dashboard");
        group.MapPost("/session", (HttpResponse response, DashboardSession session) =>
        {
            session.Issue(response, DateTimeOffset.UtcNow);
            return TypedResults.NoContent();
        }).RequireAuthorization(GatewayAuth.Operator).ProducesProblem(401);
        group.MapDelete("/session", (HttpResponse response) =>
        {
            DashboardSession.End(response);
            return TypedResults.NoContent();
        });
        group.MapGet("/snapshot", SnapshotAsync).RequireAuthorization(GatewayAuth.Operator).Produces<DashboardSnapshot>().ProducesProblem(401).ProducesProblem(503);
        // The session cookie or the operator token (GatewayAuth.DashboardStream).
        group.MapGet("/stream", StreamAsync).RequireAuthorization(GatewayAuth.DashboardStream).Produces(200, contentType: "text/event-stream").ProducesProblem(401).ProducesProblem(503);
        return app;
    }

    private static async Task<IResult> SnapshotAsync(ActorRegistry registry, GridActors actors, CancellationToken cancel)
    {
        if (!registry.TryGet<GridObserverKey>(out var observer)) return ObserverMissing();
        return await actors.AskAsync(observer, GetDashboardSnapshot.Instance, cancel) is DashboardSnapshot snapshot
            ? TypedResults.Ok(snapshot)
            : Problems.Unavailable("The grid observer did not answer; try again.");
    }

    // The page's one live connection: a snapshot first, then every change the observer sees,
    // a summary each second, and a comment line when it has been quiet for a while.
    private static async Task<IResult> StreamAsync(
        HttpContext http, ActorRegistry registry, IHostApplicationLifetime lifetime,
        CancellationToken aborted)
    {
        if (!registry.TryGet<GridObserverKey>(out var observer)) return ObserverMissing();

        // A dashboard stays open for hours: end its stream when the host stops, so a graceful
        // shutdown does not wait for every browser tab to go away. The page reconnects elsewhere.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
        var cancel = stopping.Token;
        var watcher = new DashboardWatcher();
        observer.Tell(new WatchDashboard(watcher));
        using var subscribed = GridMetrics.TrackSseSubscriber("dashboard");
        try
        {
            var response = http.Response;
            Sse.SetHeaders(response);
            await response.WriteAsync("retry: 2000\n\n", cancel);
            await response.Body.FlushAsync(cancel);

            var updates = watcher.Updates;
            while (!cancel.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                wait.CancelAfter(Sse.KeepAlive);
                bool more;
                try
                {
                    more = await updates.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancel);
                    await response.Body.FlushAsync(cancel);
                    continue;
                }
                // Closed by the observer: this stream fell behind. Ending it makes the page reconnect
                // and start over from a snapshot instead of showing a picture with holes in it.
                if (!more) break;
                while (updates.TryRead(out var update))
                    await response.WriteAsync($"event: {update.Event}\ndata: {JsonSerializer.Serialize(update.Data, update.Data.GetType(), Json)}\n\n", cancel);
                await response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away, or this host is stopping.
        }
        finally
        {
            observer.Tell(new UnwatchDashboard(watcher));
        }
        return Results.Empty;
    }

    private static IResult ObserverMissing() =>
        Problems.Unavailable("This host has no grid observer; open the dashboard on a host with the gateway role.");
}
