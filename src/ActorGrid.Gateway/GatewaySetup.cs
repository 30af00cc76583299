using ActorGrid.Core.Placement;
using ActorGrid.Gateway.Audit;
using ActorGrid.Gateway.Inference;
using ActorGrid.Gateway.TaskMetrics;
using ActorGrid.Hosting;
using ActorGrid.Transfer.Bundles;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Gateway;

public sealed class AuditWriterKey;

// The gateway role's actors (its HTTP API is GatewayEndpoints): the model blob and bundle servers
// workers fetch uploads from, the routing table's status listener, the audit writer and pruner, the
// task metric writer, and the durable copies of running tasks' checkpoints.
public static class GatewaySetup
{
    // On every host, as before the split: only gateways route (on the same topology placement
    // reads, loaded by the same code) and write the audit trail.
    public static IServiceCollection AddGridGatewayData(this IServiceCollection services, GridSettings settings)
    {
        var topology = settings.Has(Roles.Gateway) ? PlacementPolicySetup.Load(settings).Topology : null;
        services.AddSingleton(new InferenceRoutingTable(topology));
        services.AddSingleton(new AuditStore(settings.Database));
        services.AddSingleton(new TaskMetricStore(settings.Database));
        services.AddSingleton(TaskMetricSettings.From(GridConfiguration.Load(settings)));
        services.AddSingleton(new BundleStore(settings.DataDirectory));
        services.AddHostedService<InferencePathWarmUp>();
        return services;
    }

    public static AkkaConfigurationBuilder WithGridGateway(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        if (!settings.Has(Roles.Gateway)) return builder;
        builder.WithActors((system, registry, resolver) =>
        {
            var inference = resolver.GetService<InferenceSettings>();
            system.ActorOf(ModelBlobServer.Props(resolver.GetService<ModelBlobStore>()), ModelBlobServer.Name);
            system.ActorOf(BundleServer.Props(resolver.GetService<BundleStore>()), BundleServer.Name);
            system.ActorOf(InferenceStatusListener.Props(resolver.GetService<InferenceRoutingTable>()), "inference-status");
            var writer = system.ActorOf(AuditWriter.Props(resolver.GetService<AuditStore>(), inference.AuditBatchSize, inference.AuditFlushInterval), "audit-writer");
            registry.Register<AuditWriterKey>(writer);
            system.ActorOf(AuditPruner.Props(resolver.GetService<AuditStore>(), inference), "audit-pruner");
            system.ActorOf(TaskMetricWriter.Props(resolver.GetService<TaskMetricStore>(), resolver.GetService<TaskMetricSettings>()), "task-metric-writer");
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
        // Gateways keep data (model blobs, the audit trail), so they also keep the copies of
        // running tasks' checkpoints that outlive the worker host that packed them.
        builder.WithActors((system, registry) => system.ActorOf(DurableCheckpoints.Props(system, settings.DataDirectory), DurableCheckpoints.Name));
        return builder;
    }
}
