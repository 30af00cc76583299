using System.Collections.Immutable;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Discovery;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;

namespace ActorGrid.Node;

// The contact point Cluster Bootstrap probes, on --management-port: GET /bootstrap/seed-nodes
// answers with the members this host sees, in Akka.Management's own JSON (its protocol types,
// serialized with Newtonsoft as its route does), so any bootstrapping host can read it. Served by
// the host's Kestrel on a port of its own because Akka.Management's HTTP server cannot start here
// (DiscoverySetup says why). Nothing else is served on that port; it is unauthenticated and
// read-only, and lists cluster addresses only.
public static class ManagementEndpoint
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    public static string? UrlFor(GridSettings grid) =>
        grid.Discovery is { } discovery ? DiscoverySetup.SelfContactPoint(grid.Hostname, discovery).ToString().TrimEnd('/') : null;

    public static void MapManagementEndpoint(this WebApplication app, GridSettings grid)
    {
        if (grid.Discovery is not { } discovery) return;
        app.MapWhen(context => context.Connection.LocalPort == discovery.ManagementPort, branch => branch.Run(async context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != SeedNodesPath)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            var cluster = Cluster.Get(context.RequestServices.GetRequiredService<ActorSystem>());
            // A host on its way out must not be taken for the cluster (Akka.Management's rule too). Not
            // Removed: that is also what a host that has not joined yet reports, and it must answer
            // "no members" so that the contact points can agree on a founder.
            if (cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            var state = cluster.State;
            var members = state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfAddress, members)));
        }));
    }
}
