namespace ActorGrid.Worker.Sandbox;

// The worker's right to keep its attempts running, renewed each time placement answers one of its
// heartbeats. Held until the renewing heartbeat's own send time plus lease-timeout, so the worker
// gives up no later than placement may assume it has (placement waits lease-timeout plus the
// guard's silence from the moment it answered, which is after the heartbeat was sent).
// Written by the worker agent, read by the renewal thread: one long, read and written atomically.
public sealed class AttemptLease(TimeSpan timeout)
{
    private long _heldUntilTicks;

    public TimeSpan Timeout { get; } = timeout;

    public void RenewedBy(DateTimeOffset heartbeatSentAt)
    {
        var until = (heartbeatSentAt + Timeout).UtcTicks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _heldUntilTicks);
            if (until <= seen) return;
        }
        while (Interlocked.CompareExchange(ref _heldUntilTicks, until, seen) != seen);
    }

    public bool IsHeld(DateTimeOffset now) => now.UtcTicks < Interlocked.Read(ref _heldUntilTicks);

    // Whether the lease is held within `max`: polled, because it is renewed by the worker's actor
    // and waited on only by an attempt about to start, which is rare and may wait a little.
    public async Task<bool> WhenHeldAsync(TimeSpan max, CancellationToken cancel)
    {
        var giveUp = DateTimeOffset.UtcNow + max;
        while (!IsHeld(DateTimeOffset.UtcNow))
        {
            if (DateTimeOffset.UtcNow >= giveUp || cancel.IsCancellationRequested) return false;
            try
            {
                await Task.Delay(PollInterval, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    public DateTimeOffset HeldUntil => new(Interlocked.Read(ref _heldUntilTicks), TimeSpan.Zero);
}
