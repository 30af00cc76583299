using Akka.Actor;

namespace ActorGrid.Runtime.Placement;

// actorgrid.placement in HOCON.
public sealed record PlacementSettings(
    TimeSpan SweepInterval, TimeSpan HeartbeatTimeout, TimeSpan ReservationGrace,
    TimeSpan BidTimeout, int MaxConcurrentNegotiations, TimeSpan AgingStep, int ExplainTop)
{
    public static PlacementSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.placement");
        return new(
            config.GetTimeSpan("sweep-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("heartbeat-timeout", TimeSpan.FromSeconds(20)),
            config.GetTimeSpan("reservation-grace", TimeSpan.FromSeconds(60)),
            config.GetTimeSpan("bid-timeout", TimeSpan.FromSeconds(1)),
            config.GetInt("max-concurrent-negotiations", 64),
            config.GetTimeSpan("aging-step", TimeSpan.FromSeconds(60)),
            config.GetInt("explain-top", 5));
    }
}
