using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;

namespace ActorGrid.Hosting.Discovery;

// Cluster Bootstrap in place of seed nodes: bootstrap looks the contact points up (config or the
// Kubernetes API), asks each for the cluster it is in (GET /bootstrap/seed-nodes on its management
// port) and joins that one; when none is in a cluster yet, the lowest-addressed contact point
// founds it, once all of them have answered. What an operator tunes (stable-margin, probe
// intervals, the pod label selector) is in hocon/actorgrid.hocon; what comes from the command
// line is written here, over it.
//
// The management endpoint itself is not Akka.Management's: its HTTP server (Akka.Http.Shim over
// Ceen.Httpd 0.9.9) fails to start against the Ceen.Httpd 0.9.10 that restores here
// (MissingMethodException in HttpServer.ListenAsync). The host's own Kestrel serves the same route
// with the same JSON on --management-port (ActorGrid.Node's ManagementEndpoint), and bootstrap is
// started here, given that endpoint as its self contact point.
public static class DiscoverySetup
{
    // The service looked up in discovery: the config discovery's entry, and {0} in the label selector.
    public const string ServiceName = "actorgrid";
    // The Kubernetes container port that carries the management endpoint.
    public const string KubernetesPortName = "management";

    public static AkkaConfigurationBuilder WithGridDiscovery(this AkkaConfigurationBuilder builder, GridSettings settings)
    {
        if (settings.Discovery is not { } discovery) return builder;
        builder.AddHocon(ToHocon(discovery), HoconAddMode.Prepend);
        if (discovery.Method == DiscoveryMethod.Kubernetes)
            builder.WithKubernetesDiscovery(new KubernetesDiscoveryOptions()); // the plugin's class and defaults; the selector stays HOCON's
        builder.WithClusterBootstrap(new ClusterBootstrapOptions { NewClusterEnabled = discovery.NewClusterEnabled }, autoStart: false);
        builder.AddStartup((system, registry) =>
        {
            var bootstrap = ClusterBootstrap.Get(system);
            // What Akka.Management would do when it binds: tell bootstrap where its own contact point is.
            bootstrap.Routes(ManagementRouteProviderSettings.Create(SelfContactPoint(settings.Hostname, discovery), readOnly: true));
            _ = bootstrap.Start();
        });
        return builder;
    }

    public static Uri SelfContactPoint(string hostname, DiscoverySettings discovery) =>
        new($"http://{(hostname.Contains(':') ? $"[{hostname}]" : hostname)}:{discovery.ManagementPort}/");

    public static string ToHocon(DiscoverySettings discovery)
    {
        var config = discovery.Method == DiscoveryMethod.Config;
        var endpoints = string.Join(", ", discovery.ContactPoints.Select(Quote));
        return $$"""
            akka.management.cluster.bootstrap {
              new-cluster-enabled = {{(discovery.NewClusterEnabled ? "on" : "off")}}
              contact-point-discovery {
                service-name = {{ServiceName}}
                discovery-method = akka.discovery
                port-name = "{{(config ? "" : KubernetesPortName)}}"
                {{(config ? $"required-contact-point-nr = {discovery.ContactPoints.Count}" : "")}}
              }
              contact-point {
                fallback-port = {{discovery.ManagementPort}}
                # Config contact points on one machine differ by port alone; they are all management ports.
                {{(config ? "filter-on-fallback-port = false" : "")}}
              }
            }
            akka.discovery {
              method = {{(config ? "config" : "kubernetes-api")}}
              {{(config ? $"config.services.{ServiceName}.endpoints = [{endpoints}]" : "")}}
            }
            """;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
