using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Dashboard;

// The dashboard's event stream needs the operator's authority, but a browser's EventSource
// cannot send an Authorization header. Putting the token in the URL would write it into
// proxy and access logs and browser history, so instead the page trades the token (sent as a
// bearer header) for a short-lived cookie: POST /v1/dashboard/session. The cookie holds an
// expiry and an HMAC of it keyed by the operator token, so any gateway with the same token can
// check it without shared state, and rotating the token ends every session. It is HttpOnly
// (page scripts cannot read it), SameSite=Strict (other sites cannot make the browser send it),
// scoped to /v1/dashboard, and authorises only reading the stream. The page keeps the token in
// sessionStorage and asks for a fresh cookie whenever the stream has to reconnect.
public sealed class DashboardSession(GatewayOptions options)
{
    public const string CookieName = "actorgrid_dashboard";
    public const string CookiePath = "/v1/dashboard";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.AdminToken);

    public void Issue(HttpResponse response, DateTimeOffset now)
    {
        var expires = now + Lifetime;
        response.Cookies.Append(CookieName, Ticket(expires.ToUnixTimeSeconds()), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = response.HttpContext.Request.IsHttps,
            Path = CookiePath,
            MaxAge = Lifetime,
        });
    }

    public static void End(HttpResponse response) =>
        response.Cookies.Delete(CookieName, new CookieOptions { Path = CookiePath, SameSite = SameSiteMode.Strict });

    public bool Allows(HttpRequest request, DateTimeOffset now)
    {
        if (request.Cookies[CookieName] is not { } cookie) return false;
        var dot = cookie.IndexOf('.');
        if (dot <= 0 || !long.TryParse(cookie.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return false;
        if (DateTimeOffset.FromUnixTimeSeconds(expires) <= now) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(Ticket(expires)));
    }

    private string Ticket(long expires)
    {
        var stamp = expires.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("actorgrid-dashboard:" + stamp));
        return stamp + "." + Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
