using System.Text.Json;
using System.Threading.Channels;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Streaming;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Cluster;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Apis.Operator;

// `cluster tail`: GET /v1/cluster/events as Server-Sent Events. It opens with one `member`
// event per current member (as this host sees them), then relays each MembershipChanged from
// the cluster-events topic as a `membership` event until the client goes away.
public static class MembershipStream
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task StreamAsync(HttpContext http, GridActors actors, CancellationToken cancel)
    {
        var changes = Channel.CreateBounded<object>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        var subscriber = actors.System.ActorOf(TopicSignal.Props(Topics.ClusterEvents, m => m is MembershipChanged, changes.Writer));
        try
        {
            var response = http.Response;
            Sse.SetHeaders(response);
            var now = DateTimeOffset.UtcNow;
            var cluster = Cluster.Get(actors.System);
            var unreachable = cluster.State.Unreachable.Select(m => m.Address).ToHashSet();
            foreach (var member in cluster.State.Members)
            {
                var current = new MembershipChanged(member.Address.ToString(), member.Status.ToString().ToLowerInvariant(), [.. member.Roles.Order()],
                    unreachable.Contains(member.Address) ? "Unreachable" : "Current", now);
                await response.WriteAsync($"event: member\ndata: {JsonSerializer.Serialize(current, Json)}\n\n", cancel);
            }
            await response.Body.FlushAsync(cancel);

            while (!cancel.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                wait.CancelAfter(Sse.KeepAlive);
                try
                {
                    var change = (MembershipChanged)await changes.Reader.ReadAsync(wait.Token);
                    await response.WriteAsync($"event: membership\ndata: {JsonSerializer.Serialize(change, Json)}\n\n", cancel);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancel);
                }
                await response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The operator pressed Ctrl-C.
        }
        finally
        {
            subscriber.Tell(PoisonPill.Instance);
        }
    }
}
