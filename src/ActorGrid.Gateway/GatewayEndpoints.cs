using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Apis.Operator;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Inference;
using ActorGrid.Gateway.Limits;
using ActorGrid.Gateway.Observability;
using ActorGrid.Protocol.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Gateway;

public static class GatewayEndpoints
{
    public static IServiceCollection AddActorGridGateway(this IServiceCollection services, GatewayOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<GridActors>();
        services.AddSingleton<CallerAuthentication>();
        services.AddGatewayAuth();
        services.AddSingleton<TenantLimitsCache>();
        services.AddSingleton<SubmissionRateLimiter>();
        services.AddSingleton<ModelResolver>();
        services.AddProblemDetails();
        // Ids go out as plain strings, as in every other response.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new IdJsonConverterFactory()));
        services.AddOpenApi();
        services.AddGridObservability();
        return services;
    }

    public static IEndpointRouteBuilder MapActorGridGateway(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapTenantsApi();
        app.MapTasksApi();
        app.MapNodesApi();
        app.MapClusterApi();
        app.MapModelsApi();
        app.MapBundlesApi();
        app.MapInferenceApi();
        app.MapAuditApi();
        app.MapGridObservability();
        app.MapOperatorApis();
        return app;
    }
}
