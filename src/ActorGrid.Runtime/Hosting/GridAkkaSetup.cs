using ActorGrid.Hosting;
using ActorGrid.Hosting.Membership;
using ActorGrid.Runtime.Inference;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Runtime.Nodes;
using ActorGrid.Placement;
using ActorGrid.Runtime.Placement;
using ActorGrid.Runtime.Sharding;
using ActorGrid.Runtime.Tasks;
using ActorGrid.Runtime.Tenants;
using ActorGrid.Runtime.Workers;
using ActorGrid.Runtime.Workers.Sandbox;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Runtime.Hosting;

// Wires one host's actor system from its settings: HOCON files first (what operators edit),
// then remoting, clustering and the actors each role hosts.
public static class GridAkkaSetup
{
    public static IServiceCollection AddActorGrid(this IServiceCollection services, GridSettings settings)
    {
        settings.Database.Prepare();
        services.AddSingleton(settings);
        services.TryAddSingleton<RejoinSignal>();
        services.AddActorGridInference(settings);
        var config = GridConfiguration.Load(settings);
        var healing = HealingSettings.From(config);
        return services.AddAkka(GridSettings.SystemName, builder =>
        {
            builder.AddHocon(config, HoconAddMode.Prepend);
            builder.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            builder.WithRemoting(RemoteOptionsFor(settings));
            builder.WithClustering(new ClusterOptions
            {
                Roles = [.. settings.Roles],
                SeedNodes = [.. JoinSeeds(settings, healing)],
            });
            builder.WithDistributedPubSub(role: null!);
            AddEntities(builder, settings);
            AddPlacement(builder, settings);
            builder.WithActorGridInference(settings);
            if (settings.Has(Roles.Core))
                builder.WithActors((system, registry) => system.ActorOf(MembershipPublisher.Props(), "membership-publisher"));
            // Gateways keep data (model blobs, the audit trail), so they also keep the copies of
            // running tasks' checkpoints that outlive the worker host that packed them.
            if (settings.Has(Roles.Gateway))
                builder.WithActors((system, registry) => system.ActorOf(DurableCheckpoints.Props(system, settings.DataDirectory), DurableCheckpoints.Name));
            if (settings.Has(Roles.Worker) && settings.Node is { } node)
                builder.WithActors((system, registry) =>
                {
                    var isolation = IsolationSettings.From(system.Settings.Config);
                    var sandbox = SandboxHost.Detect(isolation, settings.DataDirectory);
                    var log = Akka.Event.Logging.GetLogger(system, "sandbox");
                    if (sandbox.Level == SandboxHost.On) log.Info("Attempts are sandboxed: {0}", sandbox.WhyNot);
                    else if (sandbox.Level == SandboxHost.Namespaces) log.Warning("Attempts run in namespaces only: {0}", sandbox.WhyNot);
                    else if (sandbox.Level == SandboxHost.Off)
                        log.Warning("SANDBOX OFF (actorgrid.workers.sandbox = off): tenants' attempts run as this node's user and can read its files, environment and processes");
                    else log.Error("This worker refuses tenant tasks: it cannot sandbox them ({0}). Install bubblewrap and run as root, or set actorgrid.workers.sandbox = off", sandbox.WhyNot);
                    registry.Register<WorkerAgentKey>(system.ActorOf(WorkerAgent.Props(node, sandbox, isolation, settings.DataDirectory), WorkerPaths.AgentName));
                });
            if (settings.Seeds.Count > 0 && healing.RememberPeers)
                builder.WithActors((system, registry) => system.ActorOf(KnownPeersRecorder.Props(settings.DataDirectory, settings.Has(Roles.Core)), "known-peers"));
            if (settings.Seeds.Count > 0 && !settings.Has(Roles.Core) && healing.RejoinWithoutCoreAfter > TimeSpan.Zero)
                builder.WithActors((system, registry, resolver) => system.ActorOf(
                    CoreLossWatcher.Props(healing.RejoinWithoutCoreAfter, resolver.GetService<RejoinSignal>()), "core-loss-watcher"));
            if (settings.Seeds.Count == 0)
                builder.AddStartup((system, _) =>
                {
                    // The embedded grid seeds itself: a cluster of one.
                    var cluster = Cluster.Get(system);
                    cluster.Join(cluster.SelfAddress);
                });
        });
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

    private static void AddEntities(AkkaConfigurationBuilder builder, GridSettings settings)
    {
        const int shards = 100;
        if (settings.Has(Roles.Core))
        {
            // Tasks are remembered: a queued or running task must come back after a rebalance or
            // restart without anyone asking for it, because it drives its own progress.
            builder.WithShardRegion<TaskRegionKey>("task", TaskEntity.Props, new TaskMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });
            builder.WithShardRegion<NodeRegionKey>("node", NodeEntity.Props, new NodeMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                StateStoreMode = StateStoreMode.Persistence,
            });
            builder.WithShardRegion<TenantRegionKey>("tenant", TenantEntity.Props, new TenantMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                StateStoreMode = StateStoreMode.Persistence,
            });
            return;
        }
        builder.WithShardRegionProxy<TaskRegionKey>("task", Roles.Core, new TaskMessageExtractor(shards));
        builder.WithShardRegionProxy<NodeRegionKey>("node", Roles.Core, new NodeMessageExtractor(shards));
        builder.WithShardRegionProxy<TenantRegionKey>("tenant", Roles.Core, new TenantMessageExtractor(shards));
    }

    private static void AddPlacement(AkkaConfigurationBuilder builder, GridSettings settings)
    {
        var options = new ClusterSingletonOptions { Role = Roles.Core };
        if (settings.Has(Roles.Core))
        {
            var (policy, topology) = PlacementPolicySetup.Load(settings);
            builder.WithSingleton<PlacementProxyKey>("placement", PlacementActor.Props(policy, topology), options, createProxyToo: true);
        }
        else
            builder.WithSingletonProxy<PlacementProxyKey>("placement", options);
    }
}
