using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Dashboard;
using ActorGrid.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ActorGrid.Gateway.Observability;

// Hooks metrics, the grid observer, the dashboard and request log scopes into a host.
public static class ObservabilitySetup
{
    public static IServiceCollection AddGridObservability(this IServiceCollection services)
    {
        services.AddSingleton<DashboardSession>();
        // Registered after AddAkka, so it starts once the actor system is up.
        services.AddHostedService<GridObserverStartup>();
        return services;
    }

    // On gateway hosts: the dashboard and its stream, and task/node/tenant ids as log scopes.
    public static WebApplication MapGridObservability(this WebApplication app)
    {
        app.UseEntityLogScopes();
        app.MapDashboard();
        return app;
    }

    // On every host with HTTP: what this process measured (the journal on core hosts, the grid
    // as observed on gateway hosts, the runtime's own process metrics everywhere). With
    // requireToken (see MetricsAccess) a scrape must send the operator token as a bearer.
    public static WebApplication MapMetricsEndpoint(this WebApplication app, bool requireToken)
    {
        var metrics = app.MapMetrics("/metrics").WithTags("Health");
        if (requireToken) metrics.RequireAuthorization(GatewayAuth.Operator);
        return app;
    }

    // Every log line written while a request for /v1/tasks/{id}, /v1/nodes/{id} or
    // /v1/tenants/{id} runs carries that id as a named scope field (TaskId, NodeId, TenantId).
    private static void UseEntityLogScopes(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorGrid.Gateway");
        app.Use(async (context, next) =>
        {
            var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            var field = pattern switch
            {
                not null when pattern.StartsWith("/v1/tasks/{id", StringComparison.Ordinal) => "TaskId",
                not null when pattern.StartsWith("/v1/nodes/{id", StringComparison.Ordinal) => "NodeId",
                not null when pattern.StartsWith("/v1/tenants/{id", StringComparison.Ordinal) => "TenantId",
                _ => null,
            };
            if (field is null || context.Request.RouteValues["id"] is not string id)
            {
                await next(context);
                return;
            }
            using (log.BeginScope(new Dictionary<string, object> { [field] = id }))
                await next(context);
        });
    }
}

// Starts this host's GridObserver (gateway hosts only) and points the scrape-time membership
// gauges at the actor system.
internal sealed class GridObserverStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var system = services.GetRequiredService<ActorSystem>();
        GridMetrics.ReadMembershipAtScrape(system);
        if (services.GetService<GridSettings>() is { } settings && !settings.Has(Roles.Gateway)) return Task.CompletedTask;

        var registry = services.GetRequiredService<ActorRegistry>();
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger<GridObserver>();
        var observer = system.ActorOf(GridObserver.Props(registry.Get<PlacementProxyKey>(), log), "grid-observer");
        registry.Register<GridObserverKey>(observer);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
