using ActorGrid.Gateway;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Tests.Auth;

// The gateway's cache of verified tenant keys: one cluster round trip per key while it lasts,
// and none that outlives a rotation made through this gateway. The tenant region is a probe.
public class CallerAuthenticationSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TenantId Acme = new("acme");
    private readonly CallerAuthentication _auth;

    public CallerAuthenticationSpecs()
    {
        var registry = ActorRegistry.For(Sys);
        registry.Register<TenantRegionKey>(TestActor);
        var options = new GatewayOptions("admin", 1024, TimeSpan.FromSeconds(5));
        _auth = new CallerAuthentication(options, new GridActors(registry, Sys, options));
    }

    [Fact]
    public async Task Should_ask_the_tenant_once_per_key_and_again_after_a_rotation()
    {
        var key = ApiKeys.Issue(Acme);
        var first = Authenticate(key);
        Assert.Equal(ApiKeys.Hash(key), ExpectMsg<AuthenticateTenant>().ApiKeyHash);
        LastSender.Tell(new TenantAuthenticated(View()));
        Assert.Equal(Acme, (await first).Tenant?.Id);

        Assert.Equal(Acme, (await Authenticate(key)).Tenant?.Id);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        _auth.Forget(Acme);
        var afterRotation = Authenticate(key);
        ExpectMsg<AuthenticateTenant>();
        LastSender.Tell(new TenantAuthenticationFailed(Acme));
        var (tenant, error) = await afterRotation;
        Assert.Null(tenant);
        Assert.Equal(StatusCodes.Status401Unauthorized, Assert.IsAssignableFrom<IStatusCodeHttpResult>(error).StatusCode);
    }

    [Fact]
    public async Task Should_refuse_a_missing_or_malformed_key_without_asking()
    {
        Assert.Equal(401, Assert.IsAssignableFrom<IStatusCodeHttpResult>((await Authenticate(null)).Error).StatusCode);
        Assert.Equal(401, Assert.IsAssignableFrom<IStatusCodeHttpResult>((await Authenticate("not-a-key")).Error).StatusCode);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private Task<(TenantView? Tenant, IResult? Error)> Authenticate(string? key)
    {
        var context = new DefaultHttpContext();
        if (key is not null) context.Request.Headers.Authorization = "Bearer " + key;
        return _auth.RequireTenantAsync(context.Request, CancellationToken.None);
    }

    private static TenantView View() => new(Acme, "ACME", [], TenantQuota.Default, 0, DateTimeOffset.UnixEpoch);

    protected override void AfterAll()
    {
        _auth.Dispose();
        base.AfterAll();
    }
}
