using Akka.Actor;

namespace ActorGrid.Runtime.Workers;

// actorgrid.worker in HOCON.
public sealed record WorkerSettings(TimeSpan HeartbeatInterval, TimeSpan ReportResendInterval, TimeSpan ProgressInterval, TimeSpan PromiseTimeout)
{
    public static WorkerSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.worker");
        return new(
            config.GetTimeSpan("heartbeat-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("report-resend-interval", TimeSpan.FromSeconds(3)),
            config.GetTimeSpan("progress-interval", TimeSpan.FromSeconds(1)),
            config.GetTimeSpan("promise-timeout", TimeSpan.FromSeconds(30)));
    }
}
