using ActorGrid.Hosting;
using Akka.Actor;
using Akka.Hosting;

namespace ActorGrid.Gateway.Http;

// The actors endpoints talk to, looked up once per request from Akka.Hosting's registry.
public sealed class GridActors(ActorRegistry registry, ActorSystem system, GatewayOptions options)
{
    public ActorSystem System { get; } = system;
    public IActorRef Tasks => registry.Get<TaskRegionKey>();
    public IActorRef Tenants => registry.Get<TenantRegionKey>();
    public IActorRef Intake => registry.Get<TaskIntakeRegionKey>();
    public IActorRef Nodes => registry.Get<NodeRegionKey>();
    public IActorRef Placement => registry.Get<PlacementProxyKey>();

    // Ask lives at the edge only, always with a timeout.
    public Task<object> AskAsync(IActorRef target, object message, CancellationToken cancel) =>
        target.Ask<object>(message, options.AskTimeout, cancel);
}
