using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Gateway;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Dashboard;
using ActorGrid.Gateway.Http;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ActorGrid.Gateway.Tests.Auth;

// The gateway's bearer schemes, through ASP.NET's authentication service as the policies use
// them: a refused credential is challenged with the problem CallerAuthentication returned (401,
// its sentence, no WWW-Authenticate header, as before the schemes), the operator token carries
// the operator role, and a verified key carries the tenant's view. The tenant region is a probe.
public class BearerSchemeSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TenantId Acme = new("acme");
    private const string AdminToken = "admin-token-for-specs";
    private readonly ServiceProvider _services;

    public BearerSchemeSpecs()
    {
        var registry = ActorRegistry.For(Sys);
        registry.Register<TenantRegionKey>(TestActor);
        var options = new GatewayOptions(AdminToken, 1024, TimeSpan.FromSeconds(5));
        _services = new ServiceCollection()
            .AddLogging()
            .AddProblemDetails()
            .AddSingleton(options)
            .AddSingleton(new GridActors(registry, Sys, options))
            .AddSingleton<CallerAuthentication>()
            .AddSingleton<DashboardSession>()
            .AddGatewayAuth()
            .BuildServiceProvider();
    }

    [Theory]
    [InlineData(null, "Send the operator token as 'Authorization: Bearer <token>'.")]
    [InlineData("Bearer wrong", "The operator token is wrong.")]
    public async Task Should_challenge_a_refused_operator_token_with_the_checks_problem(string? header, string detail)
    {
        var http = Request(header);
        Assert.False((await http.AuthenticateAsync(GatewayAuth.Operator)).Succeeded);

        await http.ChallengeAsync(GatewayAuth.Operator);

        Assert.Equal(StatusCodes.Status401Unauthorized, http.Response.StatusCode);
        Assert.False(http.Response.Headers.ContainsKey("WWW-Authenticate"));
        var problem = Body(http);
        Assert.Equal(401, problem["status"]!.GetValue<int>());
        Assert.Equal("Authentication required", problem["title"]!.GetValue<string>());
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_give_the_operator_token_the_operator_role_and_no_tenant()
    {
        var result = await Request("Bearer " + AdminToken).AuthenticateAsync(GatewayAuth.Operator);

        Assert.True(result.Succeeded);
        Assert.True(result.Principal!.IsInRole(GatewayAuth.OperatorRole));
        Assert.Throws<InvalidOperationException>(() => GatewayAuth.TenantOf(new DefaultHttpContext { User = result.Principal }));
    }

    [Fact]
    public async Task Should_carry_the_verified_tenants_view_on_the_principal()
    {
        var key = ApiKeys.Issue(Acme);
        var http = Request("Bearer " + key);

        var authenticating = http.AuthenticateAsync(GatewayAuth.Tenant);
        Assert.Equal(ApiKeys.Hash(key), ExpectMsg<AuthenticateTenant>().ApiKeyHash);
        LastSender.Tell(new TenantAuthenticated(new TenantView(Acme, "ACME", [], TenantQuota.Default, 0, DateTimeOffset.UnixEpoch)));
        var result = await authenticating;

        Assert.True(result.Succeeded);
        Assert.Equal(Acme.Value, result.Principal!.FindFirst(GatewayAuth.TenantClaim)?.Value);
        Assert.Equal(Acme, GatewayAuth.TenantOf(new DefaultHttpContext { User = result.Principal }).Id);
    }

    [Fact]
    public async Task Should_challenge_the_admin_token_on_tenant_routes_without_asking_a_tenant()
    {
        var http = Request("Bearer " + AdminToken);

        await http.ChallengeAsync(GatewayAuth.Tenant);

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(StatusCodes.Status401Unauthorized, http.Response.StatusCode);
        Assert.Equal("The API key is not valid.", Body(http)["detail"]!.GetValue<string>());
    }

    private DefaultHttpContext Request(string? authorization)
    {
        var http = new DefaultHttpContext { RequestServices = _services.CreateScope().ServiceProvider };
        http.Response.Body = new MemoryStream();
        if (authorization is not null) http.Request.Headers.Authorization = authorization;
        return http;
    }

    private static JsonNode Body(HttpContext http) =>
        JsonNode.Parse(Encoding.UTF8.GetString(((MemoryStream)http.Response.Body).ToArray()))!;

    protected override void AfterAll()
    {
        _services.Dispose();
        base.AfterAll();
    }
}
