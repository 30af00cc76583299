using ActorGrid.Placement;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class TopologyFileSpecs
{
    private static string Sample => Path.Combine(AppContext.BaseDirectory, "hocon", "topology", "inspection.hocon");

    [Fact]
    public void Should_load_the_inspection_sample_with_the_public_latency_figures()
    {
        var topology = TopologyFile.Load(Sample);

        Assert.Equal(9, topology.Sites.Count);
        Assert.Equal(1, topology.Link("ningbo-f01", "ningbo-f03").LatencyMs);
        Assert.Equal(5, topology.Link("ningbo-f01", "hangzhou-r1").LatencyMs);
        Assert.Equal(7, topology.Link("ningbo-f01", "nanjing-r1").LatencyMs);
        Assert.Equal(10, topology.Link("suzhou-f01", "guizhou-h1").LatencyMs);
        Assert.Equal(SiteDistance.NationalHub, topology.Distance("guizhou-h1", "ningxia-h1"));
        Assert.Equal(0.1, topology.Link("wuxi-f02", "wuxi-f02").LatencyMs);
        Assert.Equal(10, topology.Link("ningbo-f01", "somewhere-new").LatencyMs);
    }

    [Fact]
    public void Should_let_an_explicit_link_win_over_the_distance_default_in_both_directions()
    {
        var topology = TopologyFile.Load(Sample);

        Assert.Equal(new LinkProfile(3, 2000), topology.Link("ningbo-f03", "hangzhou-r1"));
        Assert.Equal(new LinkProfile(3, 2000), topology.Link("hangzhou-r1", "ningbo-f03"));
    }

    [Fact]
    public void Should_read_the_same_topology_written_as_json()
    {
        var topology = TopologyFile.Parse("""
            {"topology": {
              "defaults": {"same-province": {"latency-ms": 4, "bandwidth-mbps": 800}},
              "sites": [{"name": "a", "tier": "edge", "city": "x", "province": "p"},
                        {"name": "b", "tier": "regional", "city": "y", "province": "p"}],
              "links": []}}
            """, "inline.json");

        Assert.Equal(new LinkProfile(4, 800), topology.Link("a", "b"));
        Assert.Equal(SiteDistance.SameProvince, topology.Distance("a", "b"));
    }

    [Theory]
    [InlineData("nodes = []", "topology is missing")]
    [InlineData("topology { sites = [ { name = a, tier = edge } ], linx = [] }", "topology.linx is not a known key")]
    [InlineData("topology { sites = [ { name = a, tier = cloud } ] }", "topology.sites[0].tier 'cloud' is not a tier")]
    [InlineData("topology { sites = [ { name = a, tier = edge } ], links = [ { from = a, to = b, latency-ms = 1 } ] }", "topology.links[0].to 'b' is not a site declared")]
    [InlineData("topology { defaults { same-city { latency-ms = -1 } } }", "topology.defaults.same-city.latency-ms must not be negative")]
    [InlineData("topology { defaults { same-city { bandwidth-mbps = fast } } }", "must be a number, not 'fast'")]
    [InlineData("topology { sites = [ { name = a, tier = edge }, { name = a, tier = hub } ] }", "'a' is declared twice")]
    [InlineData("topology { sites = [ { name = a, tier = edge } ], a = ${missing} }", "is not valid HOCON or JSON")]
    public void Should_reject_a_bad_topology_with_the_key_at_fault(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => TopologyFile.Parse(text, "bad.hocon"));

        Assert.Contains("Topology 'bad.hocon'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Should_say_which_file_is_missing()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TopologyFile.Load("/nonexistent/topology.hocon"));

        Assert.Contains("/nonexistent/topology.hocon", error.Message);
    }
}
