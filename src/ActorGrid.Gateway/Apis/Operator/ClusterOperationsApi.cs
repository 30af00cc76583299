using ActorGrid.Gateway.Http;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record MemberActionResponse(string Address, string Action, string Status);

public sealed record DownUnreachableResponse(IReadOnlyList<string> Downed);

// pbm's `cluster leave|down|down-unreachable|sbr|tail`, executed by this gateway's host. Cluster
// membership commands are gossiped, so any member may issue them for any other.
public static class ClusterOperationsApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/leave", (HttpRequest request, GridActors actors, GatewayOptions options, CancellationToken cancel) =>
            ActAsync(request, actors, options, "leave", (cluster, address) => cluster.Leave(address), cancel))
            .Accepts<MemberAddressRequest>("application/json").Produces<MemberActionResponse>(202).ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/down", (HttpRequest request, GridActors actors, GatewayOptions options, CancellationToken cancel) =>
            ActAsync(request, actors, options, "down", (cluster, address) => cluster.Down(address), cancel))
            .Accepts<MemberAddressRequest>("application/json").Produces<MemberActionResponse>(202).ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/down-unreachable", DownUnreachable).Produces<DownUnreachableResponse>(202);
        group.MapGet("/sbr", (GridActors actors) => TypedResults.Ok(SplitBrainReport.Of(Cluster.Get(actors.System))))
            .Produces<SplitBrainResponse>();
        group.MapGet("/events", MembershipStream.StreamAsync).Produces(200, contentType: "text/event-stream");
    }

    private static async Task<IResult> ActAsync(
        HttpRequest request, GridActors actors, GatewayOptions options, string action, Action<Cluster, Address> act, CancellationToken cancel)
    {
        var body = await JsonBody.ReadAsync<MemberAddressRequest>(request, options.MaxBodyBytes, cancel);
        if (body.Error is not null) return body.Error;
        var cluster = Cluster.Get(actors.System);
        var (member, error) = FindMember(cluster, body.Value!.Address);
        if (member is null) return error!;
        act(cluster, member.Address);
        return TypedResults.Accepted((string?)null, new MemberActionResponse(member.Address.ToString(), action, member.Status.ToString().ToLowerInvariant()));
    }

    private static IResult DownUnreachable(GridActors actors)
    {
        var cluster = Cluster.Get(actors.System);
        var unreachable = cluster.State.Unreachable.Select(m => m.Address).ToList();
        foreach (var address in unreachable) cluster.Down(address);
        return TypedResults.Accepted((string?)null, new DownUnreachableResponse([.. unreachable.Select(a => a.ToString())]));
    }

    // Operators paste what `cluster show` printed: the full address, or just host:port.
    internal static (Member? Member, IResult? Error) FindMember(Cluster cluster, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (null, Problems.BadRequest("Give the member's address, e.g. {\"address\":\"akka.tcp://actorgrid@10.0.0.5:4053\"}; 'actorgrid cluster show' lists them."));
        text = text.Trim();
        string? hostPort = null;
        if (text.Contains("://", StringComparison.Ordinal))
        {
            Address parsed;
            try
            {
                parsed = Address.Parse(text);
            }
            catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
            {
                return (null, Problems.BadRequest($"'{text}' is not a cluster address; use the form akka.tcp://actorgrid@host:port."));
            }
            if (parsed.Host is null || parsed.Port is null)
                return (null, Problems.BadRequest($"'{text}' has no host or port; use the form akka.tcp://actorgrid@host:port."));
            hostPort = $"{parsed.Host}:{parsed.Port}";
        }
        else if (text.Split(':') is [{ Length: > 0 }, var port] && int.TryParse(port, out _))
        {
            hostPort = text;
        }
        else
        {
            return (null, Problems.BadRequest($"'{text}' is not a cluster address; use akka.tcp://actorgrid@host:port or host:port."));
        }
        var member = cluster.State.Members.FirstOrDefault(m => $"{m.Address.Host}:{m.Address.Port}" == hostPort);
        return member is null
            ? (null, Problems.NotFound($"No cluster member at {hostPort}; 'actorgrid cluster show' lists the members."))
            : (member, null);
    }
}
