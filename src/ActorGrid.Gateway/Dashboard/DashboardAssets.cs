using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Dashboard;

// The page, its script and its styles, read once from the gateway assembly's embedded
// resources (see the csproj) and served with an ETag so a reload costs a 304.
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    // The page loads only itself: no inline script, no third-party origin.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType, string ETag)> Files = Load();

    public static IResult Serve(string name, HttpContext http)
    {
        if (!Files.TryGetValue(name, out var file)) return Results.NotFound();
        var headers = http.Response.Headers;
        headers.ETag = file.ETag;
        headers.CacheControl = "no-cache";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Content-Security-Policy"] = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (http.Request.Headers.IfNoneMatch == file.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(file.Body, file.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string, string)> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var body = copy.ToArray();
            var etag = "\"" + Convert.ToHexString(SHA256.HashData(body), 0, 12).ToLowerInvariant() + "\"";
            files[resource[Prefix.Length..]] = (body, ContentTypeOf(resource), etag);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
