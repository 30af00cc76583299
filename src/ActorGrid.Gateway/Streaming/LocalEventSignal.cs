using System.Threading.Channels;
using Akka.Actor;

namespace ActorGrid.Gateway.Streaming;

// TopicSignal's twin for this host's own EventStream (what a local actor publishes, e.g. the
// metric writer's TaskMetricsStored): a wake-up for the HTTP stream that owns it.
public sealed class LocalEventSignal : ReceiveActor
{
    private readonly Type _type;

    public LocalEventSignal(Type type, Func<object, bool> matches, ChannelWriter<object> signal)
    {
        _type = type;
        ReceiveAny(message =>
        {
            if (matches(message)) signal.TryWrite(message);
        });
    }

    public static Props Props(Type type, Func<object, bool> matches, ChannelWriter<object> signal) =>
        Akka.Actor.Props.Create(() => new LocalEventSignal(type, matches, signal));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, _type);

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
