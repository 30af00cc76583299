using ActorGrid.Placement;
using Akka.Actor;
using Akka.Configuration;

namespace ActorGrid.Core.Placement;

// actorgrid.placement in HOCON. AttemptFence: how long after it last renewed a node's lease
// placement waits before it re-places that node's attempts; at least the workers' lease-timeout
// plus their guard-silence, so a lost node's attempts have surely stopped. SuspectAfter: how long
// a node may go unheard before it is offered no new work (well short of HeartbeatTimeout, which
// declares it lost). QueueDiscipline: the order waiting requests are served in (lanes with aging,
// or service: the hardware-aware simulator's shortest-remaining-first for batch work).
public sealed record PlacementSettings(
    TimeSpan SweepInterval, TimeSpan HeartbeatTimeout, TimeSpan ReservationGrace,
    TimeSpan BidTimeout, int MaxConcurrentNegotiations, TimeSpan AgingStep, int ExplainTop,
    TimeSpan AttemptFence, TimeSpan SuspectAfter, QueueDiscipline QueueDiscipline = QueueDiscipline.Lanes, TimeSpan? ServiceMinRun = null)
{
    public static PlacementSettings From(ActorSystem system) => From(system.Settings.Config.GetConfig("actorgrid.placement"));

    // `config`: the actorgrid.placement section.
    public static PlacementSettings From(Config config)
    {
        return new(
            config.GetTimeSpan("sweep-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("heartbeat-timeout", TimeSpan.FromSeconds(8)),
            config.GetTimeSpan("reservation-grace", TimeSpan.FromSeconds(60)),
            config.GetTimeSpan("bid-timeout", TimeSpan.FromSeconds(1)),
            config.GetInt("max-concurrent-negotiations", 64),
            config.GetTimeSpan("aging-step", TimeSpan.FromSeconds(60)),
            config.GetInt("explain-top", 5),
            config.GetTimeSpan("attempt-fence", TimeSpan.FromSeconds(8)),
            config.GetTimeSpan("suspect-after", TimeSpan.FromSeconds(3)),
            DisciplineOf(config.GetString("queue-discipline", "lanes")),
            config.GetTimeSpan("service-preemption-min-run", TimeSpan.FromSeconds(ServicePreemption.MinRunS)));
    }

    private static QueueDiscipline DisciplineOf(string value) => value.Trim().ToLowerInvariant() switch
    {
        "lanes" => QueueDiscipline.Lanes,
        "service" => QueueDiscipline.Service,
        _ => throw new ConfigurationException($"actorgrid.placement.queue-discipline is '{value}'; expected lanes or service"),
    };
}
