using System.Security.Claims;
using System.Text.Encodings.Web;
using ActorGrid.Gateway.Dashboard;
using ActorGrid.Gateway.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActorGrid.Gateway.Auth;

// The bearer schemes over CallerAuthentication's checks. A handler lives for one request, so the
// refusal it found while authenticating is still there when the policy challenges: the 401 is
// the problem the check returned, word for word (no WWW-Authenticate header, as before).
public abstract class BearerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private IResult? _refusal;

    protected abstract Task<(ClaimsIdentity? Identity, IResult? Refusal)> CheckAsync();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (identity, refusal) = await CheckAsync();
        if (identity is not null) return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        _refusal = refusal;
        return AuthenticateResult.Fail(refusal is ProblemHttpResult problem ? problem.ProblemDetails.Detail ?? "refused" : "refused");
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceAsync();
        await (_refusal ?? Problems.Unauthorized("Send a bearer token as 'Authorization: Bearer <token>'.")).ExecuteAsync(Context);
    }

    // Not reached through the gateway's policies (each scheme only ever authenticates what its
    // policy asks for), but a forbidden call gets a problem like every other refusal.
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", "These credentials do not allow this call.").ExecuteAsync(Context);
}

// Tenant API keys, verified against tenant/<id> (and cached) by CallerAuthentication.
public sealed class TenantKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CallerAuthentication auth)
    : BearerHandler(options, logger, encoder)
{
    protected override async Task<(ClaimsIdentity? Identity, IResult? Refusal)> CheckAsync()
    {
        var (tenant, refusal) = await auth.RequireTenantAsync(Request, Context.RequestAborted);
        return tenant is null ? (null, refusal) : (new TenantIdentity(tenant, Scheme.Name), null);
    }
}

// The operator token.
public sealed class OperatorTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CallerAuthentication auth)
    : BearerHandler(options, logger, encoder)
{
    protected override Task<(ClaimsIdentity? Identity, IResult? Refusal)> CheckAsync() =>
        Task.FromResult(auth.RequireOperator(Request) is { } refusal
            ? ((ClaimsIdentity?)null, (IResult?)refusal)
            : (new ClaimsIdentity([new Claim(ClaimTypes.Role, GatewayAuth.OperatorRole)], Scheme.Name), null));
}

// The dashboard's session cookie (DashboardSession): good for the dashboard's stream only. Chosen
// by the dashboard-stream policy scheme only when the cookie is valid, so it never challenges:
// without a valid cookie the operator scheme reads (and refuses) the request.
public sealed class DashboardSessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DashboardSession session)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(session.Allows(Request, DateTimeOffset.UtcNow)
            ? AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity([new Claim(GatewayAuth.ScopeClaim, GatewayAuth.DashboardStreamScope)], Scheme.Name)), Scheme.Name))
            : AuthenticateResult.NoResult());
}
