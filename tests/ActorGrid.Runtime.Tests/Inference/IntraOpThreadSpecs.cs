using ActorGrid.Worker.Inference;
using Akka.Configuration;

namespace ActorGrid.Runtime.Tests.Inference;

// How many ONNX Runtime threads a session gets: every core for the first model on an idle worker,
// a share for each model loaded beside others, or the operator's fixed number.
public class IntraOpThreadSpecs
{
    private static OnnxSessionFactory Factory(string hocon) =>
        new(InferenceSettings.From(ConfigurationFactory.ParseString(hocon)));

    [Fact]
    public void Should_give_the_first_model_every_core_and_later_ones_a_share_when_auto()
    {
        var factory = Factory("actorgrid.inference.intra-op-threads = auto");
        var cores = Environment.ProcessorCount;

        Assert.Equal(cores, factory.IntraOpThreadsFor(sharingWith: 0));
        Assert.Equal(Math.Max(1, cores / 2), factory.IntraOpThreadsFor(sharingWith: 1));
        Assert.Equal(1, factory.IntraOpThreadsFor(sharingWith: cores * 4));
        Assert.Equal(cores, Factory("").IntraOpThreadsFor(0)); // auto is the default
    }

    [Fact]
    public void Should_pin_every_session_to_a_configured_count()
    {
        var factory = Factory("actorgrid.inference.intra-op-threads = 3");
        Assert.Equal([3, 3], new[] { factory.IntraOpThreadsFor(0), factory.IntraOpThreadsFor(5) });
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    [InlineData("-2")]
    public void Should_refuse_a_thread_count_that_is_not_auto_or_positive(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Factory($"actorgrid.inference.intra-op-threads = \"{value}\""));
        Assert.Contains("auto or a count", error.Message);
    }
}
