using Akka.Actor;

namespace ActorGrid.Core.Tasks.Intake;

// actorgrid.intake in HOCON (its snapshots: actorgrid.persistence.snapshot-every.task-intake).
public sealed record TaskIntakeSettings(int MaxPending, int HandOverInFlight, TimeSpan HandOverTimeout, IntakeKeyRetention KeyRetention)
{
    public static TaskIntakeSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.intake");
        return new(
            config.GetInt("max-pending", 20_000),
            config.GetInt("hand-over-in-flight", 16),
            config.GetTimeSpan("hand-over-timeout", TimeSpan.FromSeconds(10)),
            new IntakeKeyRetention(config.GetTimeSpan("key-retention", TimeSpan.FromHours(24)), config.GetInt("key-retention-count", 50_000)));
    }
}
