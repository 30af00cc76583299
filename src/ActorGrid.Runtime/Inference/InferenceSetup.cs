using ActorGrid.Runtime.Audit;
using ActorGrid.Hosting;
using ActorGrid.Transfer.Models;
using ActorGrid.Runtime.Models;
using ActorGrid.Runtime.Placement;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Runtime.Inference;

public sealed class ModelCatalogRegionKey;

public sealed class InferenceHostKey;

public sealed class AuditWriterKey;

public sealed class ModelDeploymentsKey;

// Wires inference into a host, by role: the models/<tenant> catalog shards on core hosts (a
// proxy elsewhere); the inference executor on worker hosts; the blob server, the routing table's
// status listener and the audit writer on gateway hosts.
public static class InferenceSetup
{
    public static IServiceCollection AddActorGridInference(this IServiceCollection services, GridSettings settings)
    {
        var inference = InferenceSettings.From(GridConfiguration.Load(settings));
        services.AddSingleton(inference);
        services.AddSingleton(new OnnxSessionFactory(inference));
        services.AddSingleton(new ModelBlobStore(settings.DataDirectory));
        // Gateways route on the same topology that placement reads (actorgrid.placement.topology),
        // loaded by the same code; other hosts do not route.
        var topology = settings.Has(Roles.Gateway) ? PlacementPolicySetup.Load(settings).Topology : null;
        services.AddSingleton(new InferenceRoutingTable(topology));
        services.AddSingleton(new AuditStore(settings.Database));
        return services;
    }

    public static AkkaConfigurationBuilder WithActorGridInference(this AkkaConfigurationBuilder builder, GridSettings settings)
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

        if (settings.Has(Roles.Worker) && settings.Node is { } node)
            builder.WithActors((system, registry, resolver) => registry.Register<InferenceHostKey>(system.ActorOf(InferenceHost.Props(
                node, resolver.GetService<InferenceSettings>(), resolver.GetService<OnnxSessionFactory>(), resolver.GetService<ModelBlobStore>(),
                registry.Get<ModelDeploymentsKey>()), InferenceHost.Name)));

        if (settings.Has(Roles.Gateway))
            builder.WithActors((system, registry, resolver) =>
            {
                var inference = resolver.GetService<InferenceSettings>();
                system.ActorOf(ModelBlobServer.Props(resolver.GetService<ModelBlobStore>()), ModelBlobServer.Name);
                system.ActorOf(InferenceStatusListener.Props(resolver.GetService<InferenceRoutingTable>()), "inference-status");
                var writer = system.ActorOf(AuditWriter.Props(resolver.GetService<AuditStore>(), inference.AuditBatchSize, inference.AuditFlushInterval), "audit-writer");
                registry.Register<AuditWriterKey>(writer);
                system.ActorOf(AuditPruner.Props(resolver.GetService<AuditStore>(), inference), "audit-pruner");
                // Before the actor system ends (after HTTP has stopped taking requests), every
                // audit record received so far is written.
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "flush-audit-trail",
                    async () =>
                    {
                        try
                        {
                            await writer.Ask<AuditWriter.Flushed>(AuditWriter.Flush.Instance, TimeSpan.FromSeconds(20));
                        }
                        catch (Exception ex)
                        {
                            system.Log.Error(ex, "The audit trail could not be flushed before shutdown");
                        }
                        return Akka.Done.Instance;
                    });
            });
        return builder;
    }
}
