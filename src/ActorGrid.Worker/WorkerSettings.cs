using Akka.Actor;

namespace ActorGrid.Worker;

// actorgrid.worker in HOCON. LeaseTimeout: how long after a heartbeat placement answered the
// worker keeps its attempts running without another answer. GuardSilence: how long an attempt's
// guard waits for the worker's next renewal before it stops the attempt. PreemptionGrace and
// ProcessPreemptionGrace: how long a preempted or drained training / process attempt has between
// SIGTERM and SIGKILL (a task's own preemptionGraceSeconds wins over both). RankExitGrace: how
// long the other ranks on rank 0's host may take to exit once rank 0 has finished the job.
public sealed record WorkerSettings(
    TimeSpan HeartbeatInterval, TimeSpan ReportResendInterval, TimeSpan ProgressInterval, TimeSpan PromiseTimeout,
    TimeSpan LeaseTimeout, TimeSpan GuardSilence, TimeSpan PreemptionGrace, TimeSpan ProcessPreemptionGrace, TimeSpan RankExitGrace)
{
    public static WorkerSettings From(ActorSystem system)
    {
        var config = system.Settings.Config.GetConfig("actorgrid.worker");
        return new(
            config.GetTimeSpan("heartbeat-interval", TimeSpan.FromSeconds(2)),
            config.GetTimeSpan("report-resend-interval", TimeSpan.FromSeconds(3)),
            config.GetTimeSpan("progress-interval", TimeSpan.FromSeconds(1)),
            config.GetTimeSpan("promise-timeout", TimeSpan.FromSeconds(30)),
            config.GetTimeSpan("lease-timeout", TimeSpan.FromSeconds(6)),
            config.GetTimeSpan("guard-silence", TimeSpan.FromSeconds(1.5)),
            config.GetTimeSpan("preemption-grace", TimeSpan.FromSeconds(30)),
            config.GetTimeSpan("process-preemption-grace", TimeSpan.FromSeconds(3)),
            config.GetTimeSpan("rank-exit-grace", TimeSpan.FromSeconds(30)));
    }
}
