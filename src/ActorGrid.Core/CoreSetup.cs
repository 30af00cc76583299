using ActorGrid.Core.Models;
using ActorGrid.Core.Nodes;
using ActorGrid.Core.Placement;
using ActorGrid.Core.Sharding;
using ActorGrid.Core.Tasks;
using ActorGrid.Core.Tasks.Intake;
using ActorGrid.Core.Tenants;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Membership;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;

namespace ActorGrid.Core;

// The core role's actors: the shard regions of the task, node, tenant and models/<tenant>
// entities, the placement and model-deployments singletons, and the membership publisher. Every
// other host gets proxies to the same regions and singletons, under the same registry keys.
public static class CoreSetup
{
    public static AkkaConfigurationBuilder WithGridCore(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        AddEntities(builder, settings);
        AddPlacement(builder, settings);
        AddModels(builder, settings);
        if (settings.Has(Roles.Core))
            builder.WithActors((system, registry) => system.ActorOf(MembershipPublisher.Props(), "membership-publisher"));
        return builder;
    }

    private static void AddEntities(AkkaConfigurationBuilder builder, GridSettings settings)
    {
        const int shards = 100;
        if (settings.Has(Roles.Core))
        {
            // Tasks are not remembered: remembering one is a write that gates every new task's
            // start. A queued or running task must still come back after a rebalance or restart
            // without anyone asking for it, because it drives its own progress; its tenant wakes it
            // (TenantEntity.AfterRecovery, and every actorgrid.tenants.rewake-interval), and a
            // worker's report or placement's answer starts it sooner.
            builder.WithShardRegion<TaskRegionKey>("task", TaskEntity.Props, new TaskMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                StateStoreMode = StateStoreMode.Persistence,
            });
            builder.WithShardRegion<NodeRegionKey>("node", NodeEntity.Props, new NodeMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                StateStoreMode = StateStoreMode.Persistence,
            });
            // Intake partitions are remembered (there are 32): one that holds accepted tasks not yet
            // handed over must come back by itself after a crash to hand them over.
            builder.WithShardRegion<TaskIntakeRegionKey>("task-intake", TaskIntakeEntity.Props, new TaskIntakeMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });
            // Tenants are remembered (they are few, and a new one costs one write once): a tenant
            // comes back by itself after a restart or rebalance and wakes its unfinished tasks.
            builder.WithShardRegion<TenantRegionKey>("tenant", TenantEntity.Props, new TenantMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                StateStoreMode = StateStoreMode.Persistence,
            });
            return;
        }
        builder.WithShardRegionProxy<TaskRegionKey>("task", Roles.Core, new TaskMessageExtractor(shards));
        builder.WithShardRegionProxy<NodeRegionKey>("node", Roles.Core, new NodeMessageExtractor(shards));
        builder.WithShardRegionProxy<TenantRegionKey>("tenant", Roles.Core, new TenantMessageExtractor(shards));
        builder.WithShardRegionProxy<TaskIntakeRegionKey>("task-intake", Roles.Core, new TaskIntakeMessageExtractor(shards));
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

    // The model catalog (models/<tenant> shards) and the deployments singleton that workers load
    // pinned models from.
    private static void AddModels(AkkaConfigurationBuilder builder, GridSettings settings)
    {
        const int shards = 100;
        if (settings.Has(Roles.Core))
            builder.WithShardRegion<ModelCatalogRegionKey>("models", ModelCatalogEntity.Props, new ModelCatalogMessageExtractor(shards), new ShardOptions
            {
                Role = Roles.Core,
                StateStoreMode = StateStoreMode.Persistence,
            });
        else
            builder.WithShardRegionProxy<ModelCatalogRegionKey>("models", Roles.Core, new ModelCatalogMessageExtractor(shards));

        var singleton = new ClusterSingletonOptions { Role = Roles.Core };
        if (settings.Has(Roles.Core))
            builder.WithSingleton<ModelDeploymentsKey>(ModelDeploymentRegistry.Name, ModelDeploymentRegistry.Props(), singleton, createProxyToo: true);
        else
            builder.WithSingletonProxy<ModelDeploymentsKey>(ModelDeploymentRegistry.Name, singleton);
    }
}
