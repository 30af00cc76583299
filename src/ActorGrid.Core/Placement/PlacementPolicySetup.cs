using ActorGrid.Hosting;
using ActorGrid.Placement;
using Akka.Configuration;

namespace ActorGrid.Core.Placement;

// The live policy's settings from HOCON: the shortlist size and aging step, and the topology file
// (actorgrid.placement.topology, relative to hocon/) that gives latency between sites. Without a
// topology the policy still applies every hard constraint and scores by tier, price and load.
// With chip profiles (actorgrid.placement.chip-profiles) it is the simulator's hardware-aware
// policy: batch work with an expected duration goes where it finishes first at the chip's speed.
public static class PlacementPolicySetup
{
    public static (PlacementPolicy Policy, Topology Topology) Load(GridSettings settings)
    {
        var config = GridConfiguration.Load(settings).GetConfig("actorgrid.placement");
        // Read here too so that a bad value (queue-discipline = sjf) stops the host as it starts,
        // not the placement actor later, on whichever host the singleton lands.
        _ = PlacementSettings.From(config);
        var topology = TopologyOf(config, settings.HoconDirectory);
        var profiles = ProfilesOf(config, settings.HoconDirectory);
        var defaults = profiles is null ? PlacementOptions.Default : PlacementOptions.HardwareAware(profiles);
        var options = defaults with
        {
            ShortlistSize = config.GetInt("shortlist-size", PlacementOptions.Default.ShortlistSize),
            AgingStep = config.GetTimeSpan("aging-step", PlacementOptions.Default.AgingStep),
            ExplainedRejections = config.GetInt("explain-top", PlacementOptions.Default.ExplainedRejections),
            MinGreenGain = config.GetDouble("green.min-gain", PlacementOptions.Default.MinGreenGain),
            GreenDeadlineMargin = config.GetTimeSpan("green.deadline-margin", PlacementOptions.Default.GreenDeadlineMargin),
            GreenWindowTolerance = config.GetDouble("green.window-tolerance", PlacementOptions.Default.GreenWindowTolerance),
            DeferrableOnGreenestNode = config.GetBoolean("green.deferrable-on-greenest-node", PlacementOptions.Default.DeferrableOnGreenestNode),
            Weights = defaults.Weights with
            {
                GreenBatch = config.GetDouble("weights.green-batch", PlacementOptions.Default.Weights.GreenBatch),
                GreenDeferrable = config.GetDouble("weights.green-deferrable", PlacementOptions.Default.Weights.GreenDeferrable),
            },
        };
        return (new PlacementPolicy(options, topology), topology);
    }

    // actorgrid.placement.chip-profiles: chip speeds for finish-time-aware placement (the simulator's
    // hardware-aware preset); empty: every chip runs a task in its expected duration.
    private static ChipProfiles? ProfilesOf(Config config, string hoconDirectory)
    {
        var file = config.GetString("chip-profiles", "");
        if (string.IsNullOrWhiteSpace(file)) return null;
        var path = Path.IsPathRooted(file) ? file : Path.Combine(hoconDirectory, file);
        return File.Exists(path)
            ? ChipProfiles.Load(path)
            : throw new FileNotFoundException($"actorgrid.placement.chip-profiles names {path}, which does not exist.");
    }

    private static Topology TopologyOf(Config config, string hoconDirectory)
    {
        var file = config.GetString("topology", "");
        if (string.IsNullOrWhiteSpace(file)) return Topology.Empty;
        var path = Path.IsPathRooted(file) ? file : Path.Combine(hoconDirectory, file);
        return File.Exists(path)
            ? TopologyFile.Load(path)
            : throw new FileNotFoundException($"actorgrid.placement.topology names {path}, which does not exist.");
    }
}
