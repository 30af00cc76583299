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

    public DateTimeOffset HeldUntil => new(Interlocked.Read(ref _heldUntilTicks), TimeSpan.Zero);
}
