using System.CommandLine;
using ActorGrid.Hosting.Discovery;

namespace ActorGrid.Node;

// --discovery, --contact-points and --management-port: Cluster Bootstrap instead of --seeds.
// Kept apart from NodeCommandLine so the two grow without stepping on each other.
public sealed class DiscoveryCommandLine
{
    private readonly Option<string?> _discovery = new("--discovery")
    {
        Description = "Find the other hosts with Akka.Management Cluster Bootstrap instead of --seeds: 'config' (the hosts in --contact-points) " +
                      "or 'kubernetes' (pods matching akka.discovery.kubernetes-api.pod-label-selector in HOCON). " +
                      "The lowest-addressed contact point founds the cluster once all of them answer; a host rebuilt to rejoin only joins.",
    };
    private readonly Option<string?> _contactPoints = new("--contact-points")
    {
        Description = "With --discovery config: comma-separated management endpoints (host:port) of the hosts that may found the cluster, " +
                      "the same list on every host, e.g. 10.0.0.1:8558,10.0.0.2:8558,10.0.0.3:8558.",
    };
    private readonly Option<int?> _managementPort = new("--management-port")
    {
        Description = $"With --discovery: the port, on --hostname, of this host's bootstrap contact point (HTTP GET /bootstrap/seed-nodes; default {DiscoverySettings.DefaultManagementPort}). " +
                      "Unauthenticated: keep it inside the cluster's network.",
    };

    public IEnumerable<Option> Options => [_discovery, _contactPoints, _managementPort];

    // Null without --discovery; its companions alone are a mistake worth a sentence.
    public DiscoverySettings? Resolve(ParseResult result)
    {
        var discovery = result.GetValue(_discovery);
        var contactPoints = result.GetValue(_contactPoints);
        var managementPort = result.GetValue(_managementPort);
        if (discovery is null)
            return contactPoints is null && managementPort is null
                ? null
                : throw new ArgumentException("--contact-points and --management-port go with --discovery config (or --management-port with --discovery kubernetes).");
        return DiscoverySettings.Parse(discovery, contactPoints, managementPort);
    }
}
