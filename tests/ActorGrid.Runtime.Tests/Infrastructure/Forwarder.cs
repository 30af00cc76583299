using Akka.Actor;

namespace ActorGrid.Runtime.Tests.Infrastructure;

// Stands at a well-known path (e.g. /user/worker) and hands everything to a test probe.
public sealed class Forwarder : ReceiveActor
{
    public Forwarder(IActorRef target) => ReceiveAny(m => target.Forward(m));

    public static Props Props(IActorRef target) => Akka.Actor.Props.Create(() => new Forwarder(target));
}
