using ActorGrid.Hosting;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Bundles;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Sandbox;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Worker;

public sealed class InferenceHostKey;

// The worker role's actors, for the machine this host runs on: the inference executor and the
// worker agent (announces the node, bids, runs attempts in their sandbox, streams status).
public static class WorkerSetup
{
    // On every host, not only workers: gateways open uploaded models with the same session
    // factory to read their signature, and keep uploads in the same blob store.
    public static IServiceCollection AddGridInference(this IServiceCollection services, GridSettings settings)
    {
        var inference = InferenceSettings.From(GridConfiguration.Load(settings));
        services.AddSingleton(inference);
        services.AddSingleton(new OnnxSessionFactory(inference));
        services.AddSingleton(new ModelBlobStore(settings.DataDirectory));
        // Gateways read camera frames by the same limits (Inference/Images).
        services.AddSingleton(Inference.Images.ImageSettings.From(GridConfiguration.Load(settings)));
        // Gateways check uploaded bundles by the limit workers unpack them by.
        services.AddSingleton(BundleSettings.From(GridConfiguration.Load(settings)));
        return services;
    }

    public static AkkaConfigurationBuilder WithGridWorker(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        if (!settings.Has(Roles.Worker) || settings.Node is not { } node) return builder;
        // Where inference sessions run, decided once: the inference host opens them there and the
        // worker agent holds that chip for them.
        ExecutionTarget? target = null;
        ExecutionTarget TargetOf(InferenceSettings inference) =>
            target ??= ExecutionTarget.For(node, inference.ExecutionProviders, OnnxSessionFactory.AvailableProviders);
        builder.WithActors((system, registry, resolver) => registry.Register<InferenceHostKey>(system.ActorOf(InferenceHost.Props(
            node, resolver.GetService<InferenceSettings>(), resolver.GetService<OnnxSessionFactory>(), resolver.GetService<ModelBlobStore>(),
            registry.Get<ModelDeploymentsKey>(), resolver.GetService<Inference.Images.ImageSettings>(), TargetOf(resolver.GetService<InferenceSettings>())),
            InferenceHost.Name)));
        builder.WithActors((system, registry, resolver) =>
        {
            var isolation = IsolationSettings.From(system.Settings.Config);
            var sandbox = SandboxHost.Detect(isolation, settings.DataDirectory);
            var log = Akka.Event.Logging.GetLogger(system, "sandbox");
            if (sandbox.Level == SandboxHost.On) log.Info("Attempts are sandboxed: {0}", sandbox.WhyNot);
            else if (sandbox.Level == SandboxHost.Namespaces) log.Warning("Attempts run in namespaces only: {0}", sandbox.WhyNot);
            else if (sandbox.Level == SandboxHost.Off)
                log.Warning("SANDBOX OFF (actorgrid.workers.sandbox = off): tenants' attempts run as this node's user and can read its files, environment and processes");
            else log.Error("This worker refuses tenant tasks: it cannot sandbox them ({0}). Install bubblewrap and run as root, or set actorgrid.workers.sandbox = off", sandbox.WhyNot);
            var inference = resolver.GetService<InferenceSettings>();
            var inferenceDevice = OwnedDevice(node, TargetOf(inference), inference.OwnChip);
            if (inferenceDevice is { } device)
                log.Info("NVIDIA chip {0} is held for CUDA inference (actorgrid.inference.own-chip = on): attempts get the node's other chips", device);
            registry.Register<WorkerAgentKey>(system.ActorOf(WorkerAgent.Props(node, sandbox, isolation, settings.DataDirectory,
                new Training.TrainingOutputs(resolver.GetService<ModelBlobStore>(), resolver.GetService<OnnxSessionFactory>(), inference.MaxModelBytes),
                inferenceDevice), WorkerPaths.AgentName));
        });
        return builder;
    }

    // The declared NVIDIA chip this host's inference sessions run on, when they run on CUDA and
    // own-chip is on.
    public static int? OwnedDevice(Protocol.Nodes.NodeDescriptor node, ExecutionTarget target, bool ownChip) =>
        ownChip && target.Provider == ExecutionTarget.Cuda && target.Device is { } device
        && new ChipAllocator(node).Chips.Any(c => c.Vendor == ChipVendors.Nvidia && c.Index == device) ? device : null;
}
