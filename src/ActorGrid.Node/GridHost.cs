using ActorGrid.Gateway;
using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Limits;
using ActorGrid.Gateway.Observability;
using ActorGrid.Runtime.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Node;

// Composes one host: the actor system for its roles, and the HTTP endpoint when it has one.
public static class GridHost
{
    public static async Task<int> RunAsync(NodeOptions options, CancellationToken cancel)
    {
        await using var app = Build(options, []);
        await app.StartAsync(cancel);
        Announce(app, options);
        await app.WaitForShutdownAsync(cancel);
        return 0;
    }

    public static WebApplication Build(NodeOptions options, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true; // task, node and tenant ids on request log lines
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddActorGrid(options.Grid);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(45));

        var gatewaySettings = GridConfiguration.Load(options.Grid).GetConfig("actorgrid.gateway");
        var gatewayOptions = new GatewayOptions(
            options.AdminToken,
            gatewaySettings.GetLong("max-body-bytes", 256 * 1024),
            gatewaySettings.GetTimeSpan("ask-timeout", TimeSpan.FromSeconds(10)),
            TenantLimitsOf(gatewaySettings),
            MetricsAccess.RequiresToken(gatewaySettings.GetString("metrics-require-token", "auto"), options.HttpEndpoint));
        builder.Services.AddActorGridGateway(gatewayOptions);

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls(options.HttpEndpoint is { } endpoint ? "http://" + endpoint : "http://127.0.0.1:0");

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthApi();
        app.MapMetricsEndpoint(gatewayOptions.MetricsRequireToken);
        if (options.Grid.Has(Roles.Gateway)) app.MapActorGridGateway();
        return app;
    }

    private static GatewayLimits TenantLimitsOf(Config gateway)
    {
        var fallback = GatewayLimits.Default;
        var defaults = new Protocol.Tenants.TenantLimits(
            gateway.GetInt("limits.submit-per-second", fallback.Defaults.SubmitPerSecond),
            gateway.GetInt("limits.burst", fallback.Defaults.Burst),
            gateway.GetInt("limits.max-queued", fallback.Defaults.MaxQueued));
        var wrong = LimitsRequestValidation.Problems(defaults).Select(p => p.Message).ToList();
        if (wrong.Count > 0)
            throw new InvalidOperationException($"actorgrid.gateway.limits is not usable: {string.Join(" ", wrong)}");
        return new GatewayLimits(defaults, gateway.GetTimeSpan("limits.cache-for", fallback.CacheFor));
    }

    private static void Announce(WebApplication app, NodeOptions options)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorGrid");
        var system = app.Services.GetRequiredService<ActorSystem>();
        var grid = options.Grid;
        log.LogInformation("ActorGrid host up: roles {Roles}, cluster address {Address}, seeds {Seeds}",
            string.Join(",", grid.Roles.Order()), Akka.Cluster.Cluster.Get(system).SelfAddress,
            grid.Seeds.Count == 0 ? "(self: embedded grid)" : string.Join(",", grid.Seeds));
        log.LogInformation("Data {Data}, journal {Journal}", grid.DataDirectory, grid.Database.Description);
        if (grid.Node is { } node)
            log.LogInformation("Worker node {Node}: tier {Tier}, site {Site}, zone {Zone}, {Cpu} cpu, {Memory} MiB, chips [{Chips}]",
                node.Id, node.Tier, node.Site, node.Zone, node.Cpu, node.MemoryMiB, string.Join(", ", node.Chips.Select(c => $"{c.Count}x {c.Model}")));
        if (options.HttpEndpoint is { } http)
            log.LogInformation("HTTP on http://{Http} (API {Api}, OpenAPI at /openapi/v1.json)", http, grid.Has(Roles.Gateway) ? "enabled" : "off: health only");
        if (grid.Has(Roles.Gateway))
            log.LogInformation("Operator token: {Token}", options.AdminToken);
    }
}
