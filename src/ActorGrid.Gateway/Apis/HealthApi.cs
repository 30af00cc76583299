using ActorGrid.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Liveness (the process answers) and readiness (joined the cluster, shard regions registered).
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" })).WithTags("Health");
        app.MapGet("/readyz", (ActorSystem system, ActorRegistry registry) =>
        {
            var self = Cluster.Get(system).SelfMember;
            var regions = registry.TryGet<TaskRegionKey>(out _) && registry.TryGet<TenantRegionKey>(out _) && registry.TryGet<NodeRegionKey>(out _);
            var ready = self.Status == MemberStatus.Up && regions;
            var body = new { status = ready ? "ready" : "starting", member = self.Status.ToString().ToLowerInvariant(), shardRegions = regions };
            return ready ? Results.Ok(body) : Results.Json(body, statusCode: 503);
        }).WithTags("Health");
        return app;
    }
}
