using ActorGrid.Core.Placement;
using ActorGrid.Hosting;
using ActorGrid.Placement;
using Akka.Configuration;

namespace ActorGrid.Runtime.Tests.Placement;

// The live policy a core host builds from its HOCON: the shipped hocon/ folder plus one extra file,
// as `actorgrid-node --config` gives it.
public sealed class PlacementPolicySetupSpecs : IDisposable
{
    private readonly string _extra = Path.Combine(Path.GetTempPath(), $"placement-setup-{Guid.NewGuid():N}.hocon");

    private PlacementPolicy Load(string extraHocon)
    {
        File.WriteAllText(_extra, extraHocon);
        var settings = new GridSettings("127.0.0.1", 4999, [], new HashSet<string> { Roles.Core }, Path.GetTempPath(),
            DatabaseTarget.Parse(null, Path.GetTempPath()), null, "hocon", _extra);
        return PlacementPolicySetup.Load(settings).Policy;
    }

    [Fact]
    public void Should_run_every_chip_at_the_reference_speed_without_chip_profiles()
    {
        var policy = Load("");
        Assert.Null(policy.Options.ChipProfiles);
    }

    [Fact]
    public void Should_place_by_the_shipped_chip_speeds_when_chip_profiles_names_them()
    {
        var policy = Load("actorgrid.placement.chip-profiles = \"chips/profiles.hocon\"");
        var profiles = Assert.IsType<ChipProfiles>(policy.Options.ChipProfiles);
        Assert.Equal(2.5, profiles.Speed("nvidia-h100", WorkloadClass.Training));
        Assert.True(policy.Options.Weights.FinishTime > 0, "finish time must weigh in the score");
    }

    [Fact]
    public void Should_refuse_a_chip_profiles_file_that_is_not_there()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Load("actorgrid.placement.chip-profiles = \"chips/nope.hocon\""));
        Assert.Contains("actorgrid.placement.chip-profiles", error.Message);
    }

    [Fact]
    public void Should_refuse_an_unknown_queue_discipline_as_the_host_starts() =>
        Assert.Throws<ConfigurationException>(() => Load("actorgrid.placement.queue-discipline = fastest"));

    public void Dispose() => File.Delete(_extra);
}
