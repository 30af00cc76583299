using Akka.Actor;

using ActorGrid.Placement;

namespace ActorGrid.Runtime.Placement;

// actorgrid.placement in HOCON.
public sealed record PlacementSettings(TimeSpan SweepInterval, TimeSpan HeartbeatTimeout, TimeSpan ReservationGrace)
{
    public static PlacementSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.placement");
        return new(
            config.GetTimeSpan("sweep-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("heartbeat-timeout", TimeSpan.FromSeconds(20)),
            config.GetTimeSpan("reservation-grace", TimeSpan.FromSeconds(60)));
    }
}
