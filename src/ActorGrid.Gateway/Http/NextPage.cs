using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ActorGrid.Gateway.Http;

// Listings page with a cursor, as GitHub's and Kubernetes' APIs do: the body stays the plain JSON
// array clients already read, and the next page is named in headers, an RFC 8288 Link rel="next"
// (this request's URL with ?cursor= set) and X-Next-Cursor for clients that only want the value.
// The cursor is opaque to clients; today it is a position in the tenant's submission order.
public static class NextPage
{
    public const string CursorHeader = "X-Next-Cursor";

    public const string BadCursor = "cursor must be the value of X-Next-Cursor (or the cursor in the Link header) of the page before; leave it out for the newest page.";

    // Null is no cursor (the newest page); false is a cursor no page handed out.
    public static bool TryParse(string? cursor, out int? before)
    {
        before = null;
        if (cursor is null) return true;
        if (!int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position < 1) return false;
        before = position;
        return true;
    }

    public static void Advertise(HttpContext http, int? next)
    {
        if (next is not { } position) return;
        var cursor = position.ToString(CultureInfo.InvariantCulture);
        var query = http.Request.Query
            .Where(q => !string.Equals(q.Key, "cursor", StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
            .Append(new KeyValuePair<string, string?>("cursor", cursor));
        var url = QueryHelpers.AddQueryString(http.Request.PathBase + http.Request.Path, query);
        http.Response.Headers.Append("Link", $"<{url}>; rel=\"next\"");
        http.Response.Headers[CursorHeader] = cursor;
    }
}
