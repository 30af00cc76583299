using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Worker;

namespace ActorGrid.Runtime.Tests.Workers;

// The shipped samples in hocon/nodes/ and hand-written descriptors in temp files.
public sealed class NodeDescriptorFileSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "actorgrid-tests", Guid.NewGuid().ToString("n"));

    public NodeDescriptorFileSpecs() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "hocon", "nodes", name);

    private string Write(string hocon)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("n") + ".hocon");
        File.WriteAllText(path, hocon);
        return path;
    }

    [Fact]
    public void Should_load_the_edge_gateway_sample()
    {
        var node = NodeDescriptorFile.Load(Sample("edge-gateway.hocon"));

        Assert.Equal((Tiers.Edge, "ningbo-f03", "CN-ZJ", 4.0, 8192L), (node.Tier, node.Site, node.Zone, node.Cpu, node.MemoryMiB));
        Assert.Equal(new ChipSet("jetson-orin", 1, 8192), Assert.Single(node.Chips));
        Assert.True(IdRules.IsValid(node.Id.Value));
    }

    [Fact]
    public void Should_load_the_regional_cloud_sample()
    {
        var node = NodeDescriptorFile.Load(Sample("regional-cloud.hocon"));

        Assert.Equal((Tiers.Regional, "hangzhou-r1", "CN-ZJ", 32.0, 131072L), (node.Tier, node.Site, node.Zone, node.Cpu, node.MemoryMiB));
        Assert.Equal(new ChipSet("nvidia-l4", 4, 24576), Assert.Single(node.Chips));
    }

    [Fact]
    public void Should_load_the_gpu_hub_sample()
    {
        var node = NodeDescriptorFile.Load(Sample("gpu-hub.hocon"));

        Assert.Equal((Tiers.Hub, "guizhou-h1", "CN-GZ", 128.0, 1048576L), (node.Tier, node.Site, node.Zone, node.Cpu, node.MemoryMiB));
        Assert.Equal(new ChipSet("nvidia-h100", 8, 81920), Assert.Single(node.Chips));
    }

    [Fact]
    public void Should_read_every_key()
    {
        var path = Write("""
            node {
              id = edge-7
              tier = device
              site = "site a"
              zone = CN-ZJ
              cpu = 2.5
              memory-mib = 4096
              chips = [
                { model = hailo-8, count = 2, memory-mib = 1024 }
                { model = "nvidia-t4", count = 1, memory-mib = 15360 }
              ]
              price-per-chip-hour = 0.35
              price-per-core-hour = 0.012
              labels {
                rack = r7
                "topology.example.com/row" = "12"
              }
            }
            """);

        var node = NodeDescriptorFile.Load(path);

        Assert.Equal(
            new NodeDescriptor(new NodeId("edge-7"), Tiers.Device, "site a", "CN-ZJ", 2.5, 4096,
                node.Chips, 0.35m, 0.012m, node.Labels),
            node);
        Assert.Equal([new ChipSet("hailo-8", 2, 1024), new ChipSet("nvidia-t4", 1, 15360)], node.Chips);
        Assert.Equal("r7", node.Labels["rack"]);
        Assert.Equal("12", node.Labels["topology.example.com/row"]);
    }

    [Fact]
    public void Should_fall_back_to_detected_cpu_and_memory_and_local_defaults()
    {
        var node = NodeDescriptorFile.Load(Write("node { id = bare-1 }"));

        Assert.Equal(new NodeId("bare-1"), node.Id);
        Assert.Equal(Tiers.Edge, node.Tier);
        Assert.Equal(("local", "local"), (node.Site, node.Zone));
        Assert.Equal(NodeProbe.DetectCpu(), node.Cpu);
        Assert.Equal(NodeProbe.DetectMemoryMiB(), node.MemoryMiB);
        Assert.Empty(node.Chips);
        Assert.Empty(node.Labels);
        Assert.Equal((0m, 0m), (node.PricePerChipHour, node.PricePerCoreHour));
    }

    // chips = detect: what nvidia-smi lists on this host (nothing where it is absent, as in CI).
    [Fact]
    public void Should_detect_the_hosts_gpus_when_chips_say_detect()
    {
        var node = NodeDescriptorFile.Load(Write("node { id = gpu-auto-1, tier = regional, chips = detect }"));

        var detected = NodeProbe.DetectChips();
        Assert.Equal(detected.Count, node.Chips.Count);
        Assert.All(Enumerable.Range(0, detected.Count), i => Assert.True(node.Chips[i].SameAs(detected[i])));
    }

    [Fact]
    public void Should_read_an_empty_chips_list_as_a_node_without_chips()
    {
        var node = NodeDescriptorFile.Load(Write("node { id = cpu-only-1, chips = [] }"));

        Assert.Empty(node.Chips);
    }

    [Theory]
    [InlineData("node { tier = edge }", "node.id")]
    [InlineData("node { id = \"Not Valid\" }", "node.id")]
    [InlineData("node { id = n1, tier = cloud }", "node.tier")]
    [InlineData("node { id = n1, cpu = 0 }", "node.cpu")]
    [InlineData("node { id = n1, cpu = lots }", "node.cpu")]
    [InlineData("node { id = n1, memory-mib = -1 }", "node.memory-mib")]
    [InlineData("node { id = n1, memory-mib = 8.5 }", "node.memory-mib")]
    [InlineData("node { id = n1, memory_mib = 8192 }", "node.memory_mib")]
    [InlineData("node { id = n1, chips = [ { model = l4, count = 0, memory-mib = 24576 } ] }", "node.chips[0].count")]
    [InlineData("node { id = n1, chips = [ { model = l4, memory-mib = 24576 } ] }", "node.chips[0].count")]
    [InlineData("node { id = n1, chips = [ { count = 1, memory-mib = 24576 } ] }", "node.chips[0].model")]
    [InlineData("node { id = n1, chips = { model = l4 } }", "node.chips")]
    [InlineData("node { id = n1, chips = detected }", "node.chips")]
    [InlineData("node { id = n1, price-per-chip-hour = -2 }", "node.price-per-chip-hour")]
    [InlineData("node { id = n1, labels = [a, b] }", "node.labels")]
    [InlineData("node { id = n1, site = \"\" }", "node.site")]
    [InlineData("worker { id = n1 }", "node")]
    [InlineData("node = 3", "node")]
    public void Should_reject_a_bad_descriptor_naming_the_file_and_the_key(string hocon, string key)
    {
        var path = Write(hocon);

        var error = Assert.Throws<InvalidOperationException>(() => NodeDescriptorFile.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(key + " ", error.Message);
    }

    [Fact]
    public void Should_reject_hocon_that_does_not_resolve()
    {
        var path = Write("node { id = ${no.such.setting} }");

        var error = Assert.Throws<InvalidOperationException>(() => NodeDescriptorFile.Load(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Should_say_which_file_is_missing()
    {
        var path = Path.Combine(_dir, "absent.hocon");

        var error = Assert.Throws<FileNotFoundException>(() => NodeDescriptorFile.Load(path));

        Assert.Contains(path, error.Message);
    }
}
