using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Node.Observability;

// Says when this whole process stopped running for a while, and what the runtime knows of why.
// A host that does not run for longer than the failure detector's threshold is seen unreachable
// by its peers, its leases lapse and its tasks are re-placed: the operator needs to tell a GC
// pause from a stopped process (SIGSTOP, a frozen cgroup, swapping, a starved VM) from a thread
// pool that was merely busy. A dedicated thread, not a timer: timers run on the thread pool, and
// a starved pool would be reported as a pause of the process.
public sealed class ProcessPauseWatch(TimeSpan threshold, ILogger<ProcessPauseWatch> log) : IHostedService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (threshold <= TimeSpan.Zero) return Task.CompletedTask;
        _thread = new Thread(Watch) { IsBackground = true, Name = "actorgrid-pause-watch" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stop.Cancel();
        return Task.CompletedTask;
    }

    private void Watch()
    {
        var clock = Stopwatch.StartNew();
        var before = Sample.Now(clock.Elapsed);
        while (!_stop.IsCancellationRequested)
        {
            _stop.Token.WaitHandle.WaitOne(Tick);
            var now = Sample.Now(clock.Elapsed);
            var late = now.At - before.At - Tick;
            if (late >= threshold)
                log.LogWarning(
                    "This process ran nothing for {Late:0.0} s (a {Tick} ms tick came {Late:0.0} s late). Garbage collection paused it " +
                    "{GcPause:0.0} s of that ({Gen2} gen-2, {Gen0} gen-0 collections); the thread pool has {Threads} threads and {Queued} queued items. " +
                    "{Cause}",
                    late.TotalSeconds, Tick.TotalMilliseconds, late.TotalSeconds, (now.GcPause - before.GcPause).TotalSeconds,
                    now.Gen2 - before.Gen2, now.Gen0 - before.Gen0, now.Threads, now.Queued,
                    Cause(late, now.GcPause - before.GcPause));
            before = now;
        }
    }

    private static string Cause(TimeSpan late, TimeSpan gcPause) =>
        gcPause >= late / 2
            ? "Mostly GC: see the heap size in /metrics."
            : "Not GC: the process was stopped or not scheduled (SIGSTOP, a frozen cgroup, swapping, CPU throttling or a paused VM).";

    private readonly record struct Sample(TimeSpan At, TimeSpan GcPause, int Gen0, int Gen2, int Threads, long Queued)
    {
        public static Sample Now(TimeSpan at) =>
            new(at, GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(2), ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount);
    }
}
