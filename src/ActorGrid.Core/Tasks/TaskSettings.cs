using System.Runtime.CompilerServices;
using Akka.Actor;

namespace ActorGrid.Core.Tasks;

// actorgrid.tasks in HOCON (its snapshots: actorgrid.persistence.snapshot-every.task).
public sealed record TaskSettings(
    TimeSpan NudgeInterval, TimeSpan RunningCheckInterval, TimeSpan PassivateAfter,
    TimeSpan SpendRetryMin, TimeSpan SpendRetryMax, int MaxNodeLosses, TimeSpan QueuedRecheckInterval,
    TimeSpan GangEchoGrace)
{
    // Read once per actor system: every new task entity asks, and a lookup in the merged HOCON
    // allocates far more than the entity's own start.
    private static readonly ConditionalWeakTable<ActorSystem, TaskSettings> PerSystem = new();

    public static TaskSettings From(ActorSystem system) => PerSystem.GetValue(system, Read);

    private static TaskSettings Read(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.tasks");
        return new(
            config.GetTimeSpan("nudge-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("running-check-interval", TimeSpan.FromSeconds(10)),
            config.GetTimeSpan("passivate-after", TimeSpan.FromMinutes(2)),
            config.GetTimeSpan("spend-retry-min", TimeSpan.FromSeconds(1)),
            config.GetTimeSpan("spend-retry-max", TimeSpan.FromSeconds(30)),
            config.GetInt("max-node-losses", TaskState.DefaultMaxNodeLosses),
            config.GetTimeSpan("queued-recheck-interval", TimeSpan.FromSeconds(15)),
            config.GetTimeSpan("gang-echo-grace", TimeSpan.FromSeconds(20)));
    }
}
