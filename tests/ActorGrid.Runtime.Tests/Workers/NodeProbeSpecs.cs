using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Worker;

namespace ActorGrid.Runtime.Tests.Workers;

public class NodeProbeSpecs
{
    // `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` on a host
    // with mixed cards: the H100s are devices 0, 1 and 3, not 0-2.
    [Fact]
    public void Should_group_nvidia_smi_cards_by_model_and_keep_their_device_indices()
    {
        const string csv = """
            0, NVIDIA H100 80GB HBM3, 81559
            1, NVIDIA H100 80GB HBM3, 81559
            2, NVIDIA L4, 23034
            3, NVIDIA H100 80GB HBM3, 81559

            """;

        var chips = NodeProbe.ParseNvidiaSmi(csv);

        Assert.Equal([("nvidia-h100", 3, 81559L), ("nvidia-l4", 1, 23034L)], chips.Select(c => (c.Model, c.Count, c.MemoryMiB)));
        Assert.Equal([0, 1, 3], chips[0].Indices);
        Assert.Equal([2], chips[1].Indices);
    }

    [Fact]
    public void Should_keep_the_smallest_memory_when_cards_of_one_model_differ()
    {
        // The older two-column form (no index) numbers cards in the order listed.
        var chips = NodeProbe.ParseNvidiaSmi("Tesla T4, 15360\r\nTesla T4, 15100\r\n");

        var t4 = Assert.Single(chips);
        Assert.Equal(("nvidia-t4", 2, 15100L), (t4.Model, t4.Count, t4.MemoryMiB));
        Assert.Equal([0, 1], t4.Indices);
    }

    // Product names as nvidia-smi prints them, and the model names chip profiles and tasks use.
    [Theory]
    [InlineData("NVIDIA H100 80GB HBM3", "nvidia-h100")]
    [InlineData("NVIDIA H100 PCIe", "nvidia-h100")]
    [InlineData("NVIDIA A100-SXM4-40GB", "nvidia-a100")]
    [InlineData("NVIDIA A100 80GB PCIe", "nvidia-a100")]
    [InlineData("NVIDIA L4", "nvidia-l4")]
    [InlineData("NVIDIA L40S", "nvidia-l40s")]
    [InlineData("Tesla V100-SXM2-32GB", "nvidia-v100")]
    [InlineData("NVIDIA RTX A6000", "nvidia-a6000")]
    [InlineData("NVIDIA GeForce RTX 4090", "nvidia-geforce-rtx-4090")]
    [InlineData("Orin (nvgpu)", "jetson-orin")]
    public void Should_name_a_detected_card_as_chip_profiles_do(string product, string model) =>
        Assert.Equal(model, NodeProbe.NvidiaModelName(product));

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")]
    [InlineData("NVIDIA A100, [N/A]")]
    [InlineData(", 40960")]
    [InlineData("NVIDIA A100, 0")]
    [InlineData("x, NVIDIA A100, 40960")]
    [InlineData("0, , 40960")]
    public void Should_skip_what_is_not_a_card_line(string csv) =>
        Assert.Empty(NodeProbe.ParseNvidiaSmi(csv));

    [Fact]
    public void Should_describe_this_machine_with_local_defaults()
    {
        var node = NodeProbe.Detect(new NodeId("probe-1"));

        Assert.Equal(new NodeId("probe-1"), node.Id);
        Assert.Equal(Tiers.Edge, node.Tier);
        Assert.Equal("local", node.Site);
        Assert.Equal("local", node.Zone);
        Assert.Equal(Environment.ProcessorCount, node.Cpu);
        Assert.True(node.MemoryMiB > 0);
        Assert.All(node.Chips, c => Assert.True(c.Count > 0));
        Assert.Equal(0m, node.PricePerChipHour);
        Assert.Equal(0m, node.PricePerCoreHour);
        Assert.Empty(node.Labels);
    }

    [Fact]
    public void Should_take_the_tier_site_and_zone_it_is_given()
    {
        var node = NodeProbe.Detect(new NodeId("probe-2"), Tiers.Regional, "hangzhou-r1", "CN-ZJ");

        Assert.Equal((Tiers.Regional, "hangzhou-r1", "CN-ZJ"), (node.Tier, node.Site, node.Zone));
    }
}
