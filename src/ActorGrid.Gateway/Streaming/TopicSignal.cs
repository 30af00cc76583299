using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ActorGrid.Gateway.Streaming;

// A short-lived subscriber for one HTTP stream: it turns matching pub-sub messages into a
// wake-up signal for the request that owns it, and unsubscribes when that request ends.
public sealed class TopicSignal : ReceiveActor
{
    private readonly string _topic;

    public TopicSignal(string topic, Func<object, bool> matches, ChannelWriter<object> signal)
    {
        _topic = topic;
        Receive<SubscribeAck>(_ => { });
        ReceiveAny(message =>
        {
            if (matches(message)) signal.TryWrite(message);
        });
    }

    public static Props Props(string topic, Func<object, bool> matches, ChannelWriter<object> signal) =>
        Akka.Actor.Props.Create(() => new TopicSignal(topic, matches, signal));

    protected override void PreStart() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(_topic, Self));

    protected override void PostStop() => DistributedPubSub.Get(Context.System).Mediator.Tell(new Unsubscribe(_topic, Self));
}
