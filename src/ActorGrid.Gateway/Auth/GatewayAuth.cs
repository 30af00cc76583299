using System.Security.Claims;
using ActorGrid.Gateway.Dashboard;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Gateway.Auth;

// Who may call what, declared once per route group with RequireAuthorization(GatewayAuth.Tenant)
// or (GatewayAuth.Operator) instead of a check at the top of every endpoint. Each policy names
// its own scheme, so a request is only ever checked the way its endpoint needs: an operator route
// never asks a tenant entity about a key, and a route without a policy authenticates nothing.
// The schemes' challenges write the same problem bodies the endpoints used to return.
public static class GatewayAuth
{
    // Policy names; each policy's scheme has the same name.
    public const string Tenant = "tenant";
    public const string Operator = "operator";
    // The dashboard's stream: its session cookie (an EventSource cannot send a header) or the
    // operator token; a policy scheme picks which one reads the request.
    public const string DashboardStream = "dashboard-stream";
    internal const string DashboardSessionScheme = "dashboard-session";

    public const string TenantClaim = "actorgrid:tenant";
    public const string OperatorRole = "operator";
    // What a dashboard session cookie is good for: reading the dashboard's stream, nothing else.
    public const string ScopeClaim = "actorgrid:scope";
    public const string DashboardStreamScope = "dashboard-stream";

    public static IServiceCollection AddGatewayAuth(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        // Endpoints under the tenant policy take the caller's TenantView as a parameter: the view
        // the tenant scheme verified for this request, not a second check.
        services.AddScoped(sp => TenantOf(sp.GetRequiredService<IHttpContextAccessor>().HttpContext));
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, TenantKeyHandler>(Tenant, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorTokenHandler>(Operator, null)
            .AddScheme<AuthenticationSchemeOptions, DashboardSessionHandler>(DashboardSessionScheme, null)
            .AddPolicyScheme(DashboardStream, null, o => o.ForwardDefaultSelector = http =>
                http.RequestServices.GetRequiredService<DashboardSession>().Allows(http.Request, DateTimeOffset.UtcNow) ? DashboardSessionScheme : Operator);
        services.AddAuthorizationBuilder()
            .AddPolicy(Tenant, policy => policy.AddAuthenticationSchemes(Tenant).RequireClaim(TenantClaim))
            .AddPolicy(Operator, policy => policy.AddAuthenticationSchemes(Operator).RequireRole(OperatorRole))
            .AddPolicy(DashboardStream, policy => policy.AddAuthenticationSchemes(DashboardStream).RequireAssertion(context =>
                context.User.IsInRole(OperatorRole) || context.User.HasClaim(ScopeClaim, DashboardStreamScope)));
        return services;
    }

    // The tenant the tenant scheme authenticated for this request.
    public static TenantView TenantOf(HttpContext? http) =>
        http?.User.Identities.OfType<TenantIdentity>().FirstOrDefault()?.Tenant
        ?? throw new InvalidOperationException(
            "No authenticated tenant on this request: only endpoints under RequireAuthorization(GatewayAuth.Tenant) can take a TenantView.");
}

// A verified tenant key: the tenant id as a claim, and the view the tenant entity answered with
// (zones, quota, spend) that the endpoints read.
public sealed class TenantIdentity(TenantView tenant, string scheme)
    : ClaimsIdentity([new Claim(GatewayAuth.TenantClaim, tenant.Id.Value)], scheme)
{
    public TenantView Tenant { get; } = tenant;
}
