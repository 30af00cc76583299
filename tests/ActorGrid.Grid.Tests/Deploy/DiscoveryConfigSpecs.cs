using ActorGrid.Hosting.Discovery;
using Akka.Configuration;

namespace ActorGrid.Grid.Tests.Deploy;

// What --discovery becomes in HOCON (DiscoverySetup.ToHocon), read back as Akka reads it.
public class DiscoveryConfigSpecs
{
    [Fact]
    public void Should_require_every_config_contact_point_and_look_them_up_by_config()
    {
        var config = Render(DiscoverySettings.Parse("config", "127.0.0.1:8558, 127.0.0.1:8559,127.0.0.1:8560", 8559));
        Assert.Equal("config", config.GetString("akka.discovery.method"));
        Assert.Equal(["127.0.0.1:8558", "127.0.0.1:8559", "127.0.0.1:8560"], config.GetStringList("akka.discovery.config.services.actorgrid.endpoints"));
        Assert.Equal(3, config.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.True(config.GetBoolean("akka.management.cluster.bootstrap.new-cluster-enabled"));
        Assert.False(config.GetBoolean("akka.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
        Assert.Equal(8559, config.GetInt("akka.management.cluster.bootstrap.contact-point.fallback-port"));
    }

    [Fact]
    public void Should_only_join_once_the_host_has_been_up()
    {
        var rebuilt = DiscoverySettings.Parse("config", "127.0.0.1:8558", null) with { NewClusterEnabled = false };
        Assert.False(Render(rebuilt).GetBoolean("akka.management.cluster.bootstrap.new-cluster-enabled"));
    }

    [Fact]
    public void Should_ask_the_kubernetes_api_for_pods_with_a_management_port()
    {
        var config = Render(DiscoverySettings.Parse("kubernetes", null, null));
        Assert.Equal("kubernetes-api", config.GetString("akka.discovery.method"));
        Assert.Equal("management", config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        Assert.Equal(DiscoverySettings.DefaultManagementPort, config.GetInt("akka.management.cluster.bootstrap.contact-point.fallback-port"));
        Assert.False(config.HasPath("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr")); // HOCON's, per deployment
    }

    private static Config Render(DiscoverySettings settings) => ConfigurationFactory.ParseString(DiscoverySetup.ToHocon(settings));
}
