using ActorGrid.Hosting.Discovery;
using ActorGrid.Hosting.Membership;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ActorGrid.Hosting;

// What every host runs, whatever its roles: HOCON files first (what operators edit), then
// remoting, clustering and pub-sub (WithGridCluster); and last its membership actors and, on the
// embedded grid, the self-join (WithGridMembership). The roles add their actors in between:
// WithGridCore, WithGridGateway, WithGridWorker.
public static class ClusterSetup
{
    public static IServiceCollection AddGridHost(this IServiceCollection services, GridSettings settings)
    {
        settings.Database.Prepare();
        services.AddSingleton(settings);
        services.TryAddSingleton<RejoinSignal>();
        return services;
    }

    public static AkkaConfigurationBuilder WithGridCluster(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        var config = GridConfiguration.Load(settings);
        var healing = HealingSettings.From(config);
        builder.AddHocon(config, HoconAddMode.Prepend);
        if (settings.Database.PersistenceSetup() is { } persistence) builder.AddSetup(persistence);
        builder.WithGridLogLevel(config.GetString("akka.loglevel", "WARNING"));
        builder.WithRemoting(RemoteOptionsFor(settings));
        builder.WithClustering(new ClusterOptions
        {
            Roles = [.. settings.Roles],
            SeedNodes = [.. JoinSeeds(settings, healing)],
        });
        builder.WithDistributedPubSub(role: null!);
        builder.WithGridDiscovery(settings); // Cluster Bootstrap, when --discovery replaces --seeds
        return builder;
    }

    // Akka logs through the host's ILoggerFactory only. Akka.Hosting writes its own akka.loglevel
    // (INFO unless told), so the level from the HOCON files, or from --verbose, is given here.
    public static AkkaConfigurationBuilder WithGridLogLevel(this AkkaConfigurationBuilder builder, string level) =>
        builder.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = Akka.Event.Logging.LogLevelFor(level);
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });

    public static AkkaConfigurationBuilder WithGridMembership(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        var healing = HealingSettings.From(GridConfiguration.Load(settings));
        if (settings.Seeds.Count > 0 && healing.RememberPeers)
            builder.WithActors((system, registry) => system.ActorOf(KnownPeersRecorder.Props(settings.DataDirectory, settings.Has(Roles.Core)), "known-peers"));
        if (settings.IsMultiHost && !settings.Has(Roles.Core) && healing.RejoinWithoutCoreAfter > TimeSpan.Zero)
            builder.WithActors((system, registry, resolver) => system.ActorOf(
                CoreLossWatcher.Props(healing.RejoinWithoutCoreAfter, resolver.GetService<RejoinSignal>()), "core-loss-watcher"));
        if (!settings.IsMultiHost)
            builder.AddStartup((system, _) =>
            {
                // The embedded grid seeds itself: a cluster of one.
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        return builder;
    }

    // The seeds to join through: --seeds first, then the peers this host remembers (KnownPeers).
    public static IReadOnlyList<string> JoinSeeds(GridSettings settings, HealingSettings healing) =>
        settings.Seeds.Count > 0 && healing.RememberPeers
            ? KnownPeers.AfterSeeds(settings.Seeds, KnownPeers.Read(settings.DataDirectory, settings.Protocol))
            : settings.Seeds;

    // With TLS every connection, in and out, is mutual TLS, and the peer's certificate is checked
    // against the cluster CA by ClusterTrust (not the OS store, not Akka's default chain check).
    private static RemoteOptions RemoteOptionsFor(GridSettings settings)
    {
        var remote = new RemoteOptions { HostName = settings.Hostname, Port = settings.Port };
        if (settings.Tls is not { } tls) return remote;
        remote.EnableSsl = true;
        remote.Ssl = new SslOptions
        {
            X509Certificate = tls.Certificate,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false,
            SuppressValidation = false,
            CustomValidator = tls.Validate,
        };
        return remote;
    }
}
