using ActorGrid.Core;
using ActorGrid.Gateway;
using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Limits;
using ActorGrid.Gateway.Observability;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Membership;
using ActorGrid.Node.Logging;
using ActorGrid.Node.Observability;
using ActorGrid.Worker;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Node;

// Composes one host: the actor system for its roles, and the HTTP endpoint when it has one.
public static class GridHost
{
    // One pass per actor system: when the host's own actors ask to rejoin (RejoinSignal, e.g. its
    // cluster lost every core member), the whole host is stopped — coordinated shutdown, so it
    // leaves its cluster — and built again, and the new actor system joins through the seeds.
    // A host without the core role that the Split Brain Resolver downed while it saw no reachable
    // core member is rebuilt the same way (see RejoinSignal.CoreLost): the workers a dead core left
    // behind decide among themselves, and one may down another while both are about to rejoin.
    // Anything else that stops the host (SIGTERM, Ctrl-C, being downed while a core was in view)
    // ends the process as before.
    public static async Task<int> RunAsync(NodeOptions options, CancellationToken cancel)
    {
        var formed = new ClusterFormation();
        for (var pass = 1; ; pass++)
        {
            options = formed.JoinOnly(options); // a host that was Up once rejoins through bootstrap, never founds
            await using var app = Build(options, []);
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ActorGrid");
            try
            {
                await app.StartAsync(cancel);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested
                                                     && IsTlsHandshakeFailure(CoordinatedShutdown.Get(app.Services.GetRequiredService<ActorSystem>()).ShutdownReason))
            {
                // Refused by the seed while still starting: Akka's shutdown cancelled the start.
                ExplainTlsFailureAtOnce(app.Services.GetRequiredService<ActorSystem>(), log);
                return 1;
            }
            formed.Watch(app.Services.GetRequiredService<ActorSystem>());
            ExplainTlsFailureAtOnce(app.Services.GetRequiredService<ActorSystem>(), log);
            if (pass == 1)
            {
                Announce(app, options);
                SystemdReadiness.Ready();
            }
            else log.LogInformation("ActorGrid host rebuilt (pass {Pass}): cluster address {Address}, joining through {Seeds}",
                pass, Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<ActorSystem>()).SelfAddress, JoinRoute(options));

            var stopped = app.WaitForShutdownAsync(cancel);
            var rejoin = app.Services.GetRequiredService<RejoinSignal>().Requested;
            if (await Task.WhenAny(stopped, rejoin) == stopped)
            {
                await stopped;
                // Akka stops a host whose outbound TLS handshake failed; ExplainTlsFailureAtOnce said
                // why when it began. Not a clean exit.
                var reason = CoordinatedShutdown.Get(app.Services.GetRequiredService<ActorSystem>()).ShutdownReason;
                if (reason is CoordinatedShutdown.ClusterDowningReason && !options.Grid.Has(Roles.Core)
                    && app.Services.GetRequiredService<RejoinSignal>().CoreLost && !cancel.IsCancellationRequested)
                {
                    log.LogWarning("This host was downed while it saw no reachable core member; building it again to rejoin through the seeds");
                    await Task.Delay(TimeSpan.FromSeconds(2), cancel); // a host downed again and again does not spin
                    continue;
                }
                return IsTlsHandshakeFailure(reason) ? 1 : 0;
            }
            log.LogWarning("Leaving the cluster to rejoin through the seeds: {Reason}", await rejoin);
            await app.StopAsync(CancellationToken.None);
        }
    }

    // Akka stops a host whose outbound TLS handshake failed (a peer it does not trust, or one that
    // does not trust it) through a graceful shutdown that takes seconds; the operator is told why
    // in its first phase, not when the process finally exits. When the peer aborted the handshake
    // first, this host's own certificate check never ran, so this line is the only explanation.
    // The handshake with a seed can fail before the host has even finished starting, when the first
    // phase has already run: then the reason is already there to read. Said once either way.
    private static void ExplainTlsFailureAtOnce(ActorSystem system, ILogger log)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        var said = 0;
        void Explain()
        {
            if (IsTlsHandshakeFailure(shutdown.ShutdownReason) && Interlocked.Exchange(ref said, 1) == 0)
                log.LogError("Refused by cluster peer, stopping: {Reason}. Check that this host's --tls-cert is signed by the cluster CA its peers use.",
                    shutdown.ShutdownReason);
        }
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "explain-tls-handshake-failure", () =>
        {
            Explain();
            return Task.FromResult(Akka.Done.Instance);
        });
        Explain();
    }

    // The reason's type is internal to Akka.Remote, hence the name.
    private static bool IsTlsHandshakeFailure(CoordinatedShutdown.Reason? reason) =>
        reason?.GetType().Name == "TlsHandshakeFailureReason";

    private static IReadOnlyList<string> JoinSeeds(NodeOptions options) =>
        ClusterSetup.JoinSeeds(options.Grid, HealingSettings.From(GridConfiguration.Load(options.Grid)));

    private static string JoinRoute(NodeOptions options) => options.Grid switch
    {
        { Discovery: { } d } => $"{d.Name} discovery ({(d.ContactPoints.Count > 0 ? string.Join(",", d.ContactPoints) : "Kubernetes API")}; " +
                                $"management on {options.Grid.Hostname}:{d.ManagementPort}; new cluster {(d.NewClusterEnabled ? "allowed" : "off: join only")})",
        { Seeds.Count: 0 } => "(self: embedded grid)",
        _ => string.Join(",", JoinSeeds(options)),
    };

    public static WebApplication Build(NodeOptions options, string[] args)
    {
        // The content root is the install directory, and configuration files are not watched. The
        // default (content root = working directory, appsettings reloaded on change) puts a recursive
        // inotify watch on the working directory, where the default --data ./data lives: every
        // journal write woke that watcher, 8.6 % of the node's busy time in a profile of a submit
        // burst. The node reads no appsettings.json (its configuration is HOCON; the dashboard is
        // an embedded resource), so nothing is lost.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        options.Logging.Apply(builder.Logging);
        AddGrid(builder.Services, options.Grid, options.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(45));

        var config = GridConfiguration.Load(options.Grid);
        var pauseWarning = config.GetTimeSpan("actorgrid.cluster.pause-warning-after", TimeSpan.FromSeconds(2));
        builder.Services.AddHostedService(services => new ProcessPauseWatch(pauseWarning, services.GetRequiredService<ILogger<ProcessPauseWatch>>()));
        var gatewaySettings = config.GetConfig("actorgrid.gateway");
        var gatewayOptions = new GatewayOptions(
            options.AdminToken,
            gatewaySettings.GetLong("max-body-bytes", 256 * 1024),
            gatewaySettings.GetTimeSpan("ask-timeout", TimeSpan.FromSeconds(10)),
            TenantLimitsOf(gatewaySettings),
            MetricsAccess.RequiresToken(gatewaySettings.GetString("metrics-require-token", "auto"), options.HttpEndpoint),
            gatewaySettings.HasPath("max-bundle-bytes") ? gatewaySettings.GetByteSize("max-bundle-bytes") ?? GatewayOptions.DefaultMaxBundleBytes : GatewayOptions.DefaultMaxBundleBytes);
        builder.Services.AddActorGridGateway(gatewayOptions);

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        string[] urls = [options.HttpEndpoint is { } endpoint ? "http://" + endpoint : "http://127.0.0.1:0", .. ManagementEndpoint.UrlFor(options.Grid) is { } management ? [management] : Array.Empty<string>()];
        builder.WebHost.UseUrls(urls);

        var app = builder.Build();
        app.MapManagementEndpoint(options.Grid); // --discovery: bootstrap's contact point, alone on its port
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // After the exception handler, so a tenant check that times out is a problem like any other.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthApi();
        app.MapMetricsEndpoint(gatewayOptions.MetricsRequireToken);
        if (options.Grid.Has(Roles.Gateway)) app.MapActorGridGateway();
        return app;
    }

    // One host's actor system: what every member runs, then each role's room — a room checks its
    // own role and adds its actors, proxies to the core's (WithGridCore), or nothing.
    private static void AddGrid(IServiceCollection services, GridSettings grid, NodeLogging logging)
    {
        services.AddGridHost(grid).AddGridInference(grid).AddGridGatewayData(grid);
        services.AddGridTracing(grid);    // OpenTelemetry, only when OTEL_EXPORTER_OTLP_ENDPOINT or ACTORGRID_TRACE_FILE is set
        services.AddAkka(GridSettings.SystemName, akka => akka
            .WithGridCluster(grid)        // HOCON, logging, remoting (mutual TLS), clustering, pub-sub
            .WithNodeLogging(logging)     // --verbose: Akka at INFO, whatever the HOCON files say
            .WithGridCore(grid)           // task/node/tenant/models shards and the placement and deployments singletons, or proxies
            .WithGridGateway(grid)        // model blobs, routing status, the audit trail, durable checkpoints
            .WithGridWorker(grid)         // this machine's inference executor and worker agent
            .WithGridMembership(grid));   // remembered peers, rejoining without a core, the embedded grid's self-join
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
            string.Join(",", grid.Roles.Order()), Akka.Cluster.Cluster.Get(system).SelfAddress, JoinRoute(options));
        if (grid.Tls is { } tls)
            log.LogInformation("Cluster traffic: mutual TLS with {Certificate} ({Subject}), peers must be signed by {Authority}",
                tls.CertificateFile, tls.Certificate.Subject, tls.Authority.Subject);
        else if (grid.IsOpenToStrangers)
            log.LogWarning("Cluster traffic is neither authenticated nor encrypted: any host that reaches {Host}:{Port} can join this cluster. " +
                "Give every host --tls-cert and --tls-ca (see 'actorgrid certs init').", grid.Hostname, grid.Port);
        log.LogInformation("Data {Data}, journal {Journal}", grid.DataDirectory, grid.Database.Description);
        if (grid.Node is { } node)
            log.LogInformation("Worker node {Node}: tier {Tier}, site {Site}, zone {Zone}, {Cpu} cpu, {Memory} MiB, chips [{Chips}]",
                node.Id, node.Tier, node.Site, node.Zone, node.Cpu, node.MemoryMiB, string.Join(", ", node.Chips.Select(c => $"{c.Count}x {c.Model}")));
        if (options.HttpEndpoint is { } http)
            log.LogInformation("HTTP on http://{Http} (API {Api}, OpenAPI at /openapi/v1.json)", http, grid.Has(Roles.Gateway) ? "enabled" : "off: health only");
        // A hint, not the secret: console lines end up in log shippers and terminal scrollback.
        if (grid.Has(Roles.Gateway))
            log.LogInformation("Operator token: {Hint}… {Where}", options.AdminToken[..Math.Min(12, options.AdminToken.Length)],
                AdminTokenStore.FromEnvironment ? $"from ${AdminTokenStore.EnvironmentVariable}" : "in " + AdminTokenStore.FileIn(grid.DataDirectory));
    }
}
