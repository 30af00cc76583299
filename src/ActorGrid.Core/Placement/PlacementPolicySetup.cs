using ActorGrid.Hosting;
using ActorGrid.Placement;
using Akka.Configuration;

namespace ActorGrid.Core.Placement;

// The live policy's settings from HOCON: the shortlist size and aging step, and the topology file
// (actorgrid.placement.topology, relative to hocon/) that gives latency between sites. Without a
// topology the policy still applies every hard constraint and scores by tier, price and load.
public static class PlacementPolicySetup
{
    public static (PlacementPolicy Policy, Topology Topology) Load(GridSettings settings)
    {
        var config = GridConfiguration.Load(settings).GetConfig("actorgrid.placement");
        var topology = TopologyOf(config, settings.HoconDirectory);
        var options = PlacementOptions.Default with
        {
            ShortlistSize = config.GetInt("shortlist-size", PlacementOptions.Default.ShortlistSize),
            AgingStep = config.GetTimeSpan("aging-step", PlacementOptions.Default.AgingStep),
            ExplainedRejections = config.GetInt("explain-top", PlacementOptions.Default.ExplainedRejections),
            MinGreenGain = config.GetDouble("green.min-gain", PlacementOptions.Default.MinGreenGain),
            GreenDeadlineMargin = config.GetTimeSpan("green.deadline-margin", PlacementOptions.Default.GreenDeadlineMargin),
            GreenWindowTolerance = config.GetDouble("green.window-tolerance", PlacementOptions.Default.GreenWindowTolerance),
            DeferrableOnGreenestNode = config.GetBoolean("green.deferrable-on-greenest-node", PlacementOptions.Default.DeferrableOnGreenestNode),
            Weights = PlacementOptions.Default.Weights with
            {
                GreenBatch = config.GetDouble("weights.green-batch", PlacementOptions.Default.Weights.GreenBatch),
                GreenDeferrable = config.GetDouble("weights.green-deferrable", PlacementOptions.Default.Weights.GreenDeferrable),
            },
        };
        return (new PlacementPolicy(options, topology), topology);
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
