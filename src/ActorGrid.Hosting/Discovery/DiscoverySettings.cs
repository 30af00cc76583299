namespace ActorGrid.Hosting.Discovery;

public enum DiscoveryMethod { Config, Kubernetes }

// How a host finds its peers when it is not given --seeds: Akka.Management Cluster Bootstrap
// over Akka.Discovery. Config lists the contact points (the management endpoints, host:port, of
// the hosts that may found the cluster); Kubernetes asks the API server for the pods that match
// akka.discovery.kubernetes-api.pod-label-selector. NewClusterEnabled is on for a host's first
// actor system only: once it has been Up, a host rebuilt to rejoin may join, never found.
public sealed record DiscoverySettings(
    DiscoveryMethod Method,
    IReadOnlyList<string> ContactPoints,
    int ManagementPort,
    bool NewClusterEnabled = true)
{
    public const int DefaultManagementPort = 8558;
    public static readonly IReadOnlyList<string> Methods = ["config", "kubernetes"];

    public string Name => Method == DiscoveryMethod.Config ? "config" : "kubernetes";

    public static DiscoverySettings Parse(string method, string? contactPoints, int? managementPort)
    {
        var kind = method.Trim().ToLowerInvariant() switch
        {
            "config" => DiscoveryMethod.Config,
            "kubernetes" => DiscoveryMethod.Kubernetes,
            _ => throw new ArgumentException($"--discovery '{method}' is not known; use {string.Join(" or ", Methods)}."),
        };
        var port = managementPort ?? DefaultManagementPort;
        if (port is < 1 or > 65535) throw new ArgumentException($"--management-port {port} is not a TCP port.");

        var points = (contactPoints ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (kind == DiscoveryMethod.Config && points.Count == 0)
            throw new ArgumentException("--discovery config needs --contact-points: the management endpoints (host:port) of the hosts that may found the cluster, " +
                                        "e.g. --contact-points 10.0.0.1:8558,10.0.0.2:8558,10.0.0.3:8558, the same list on every host.");
        if (kind == DiscoveryMethod.Kubernetes && points.Count > 0)
            throw new ArgumentException("--contact-points goes with --discovery config; with --discovery kubernetes the contact points are the pods " +
                                        "that match akka.discovery.kubernetes-api.pod-label-selector.");
        foreach (var point in points)
            if (!IsEndpoint(point))
                throw new ArgumentException($"--contact-points entry '{point}' must be host:port, the host's --hostname and --management-port, e.g. 10.0.0.1:8558.");
        if (points.Distinct(StringComparer.OrdinalIgnoreCase).Count() != points.Count)
            throw new ArgumentException($"--contact-points '{contactPoints}' lists an endpoint twice.");
        return new DiscoverySettings(kind, points, port);
    }

    private static bool IsEndpoint(string point)
    {
        var cut = point.LastIndexOf(':');
        return cut > 0 && int.TryParse(point[(cut + 1)..], out var p) && p is > 0 and <= 65535;
    }
}
