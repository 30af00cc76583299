using Akka.Configuration;

namespace ActorGrid.Hosting;

// actorgrid.cluster in HOCON: how a multi-host member finds its way back into one cluster.
public sealed record HealingSettings(TimeSpan RejoinWithoutCoreAfter, bool RememberPeers)
{
    public static HealingSettings From(Config config)
    {
        var cluster = config.GetConfig("actorgrid.cluster");
        return cluster is null || cluster.IsEmpty
            ? new HealingSettings(TimeSpan.FromSeconds(15), true)
            : new HealingSettings(
                cluster.GetTimeSpan("rejoin-without-core-after", TimeSpan.FromSeconds(15), allowInfinite: false),
                cluster.GetBoolean("remember-peers", true));
    }
}
