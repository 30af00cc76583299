using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Worker;

namespace ActorGrid.Runtime.Tests.Workers;

public class NodeProbeSpecs
{
    [Fact]
    public void Should_group_nvidia_smi_cards_by_model()
    {
        const string csv = """
            NVIDIA H100 80GB HBM3, 81559
            NVIDIA H100 80GB HBM3, 81559
            NVIDIA L4, 23034
            NVIDIA H100 80GB HBM3, 81559

            """;

        var chips = NodeProbe.ParseNvidiaSmi(csv);

        Assert.Equal(
            [new ChipSet("NVIDIA H100 80GB HBM3", 3, 81559), new ChipSet("NVIDIA L4", 1, 23034)],
            chips);
    }

    [Fact]
    public void Should_keep_the_smallest_memory_when_cards_of_one_model_differ()
    {
        var chips = NodeProbe.ParseNvidiaSmi("Tesla T4, 15360\r\nTesla T4, 15100\r\n");

        Assert.Equal(new ChipSet("Tesla T4", 2, 15100), Assert.Single(chips));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")]
    [InlineData("NVIDIA A100, [N/A]")]
    [InlineData(", 40960")]
    [InlineData("NVIDIA A100, 0")]
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
