using System.Net;

namespace ActorGrid.Gateway.Observability;

// actorgrid.gateway.metrics-require-token: whether /metrics wants the operator token. "auto"
// asks for it when HTTP listens beyond loopback, where anyone on the network could read the
// grid's tenants, nodes and load; a loopback bind is reachable from this machine only.
public static class MetricsAccess
{
    public static bool RequiresToken(string setting, string? httpEndpoint) => setting.Trim().ToLowerInvariant() switch
    {
        "auto" => !IsLoopback(httpEndpoint),
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new ArgumentException(
            $"actorgrid.gateway.metrics-require-token is '{setting}'; use auto (token unless HTTP binds to loopback), on or off."),
    };

    // The endpoint as given to --http (host:port); none means the node's loopback default.
    public static bool IsLoopback(string? httpEndpoint)
    {
        if (string.IsNullOrWhiteSpace(httpEndpoint)) return true;
        var hostPort = httpEndpoint.Contains("://", StringComparison.Ordinal) ? httpEndpoint[(httpEndpoint.IndexOf("://", StringComparison.Ordinal) + 3)..] : httpEndpoint;
        var cut = hostPort.LastIndexOf(':');
        var host = (cut > 0 && !hostPort.EndsWith(']') ? hostPort[..cut] : hostPort).Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }
}
