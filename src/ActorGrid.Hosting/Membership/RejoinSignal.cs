namespace ActorGrid.Hosting.Membership;

// How an actor tells the process hosting it that this host should leave and join again: the
// host (ActorGrid.Node's GridHost) waits on Requested, stops the whole host through coordinated
// shutdown and builds it again, so the new actor system joins through the seeds like a fresh start.
public sealed class RejoinSignal
{
    private readonly TaskCompletionSource<string> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string> Requested => _requested.Task;

    public void Request(string reason) => _requested.TrySetResult(reason);

    // Set by the core-loss watcher while this host sees no reachable core member. A host downed
    // by the Split Brain Resolver in that state was cut off from a core that is gone (the workers
    // left behind decide among themselves, and one may down the other while both are about to
    // rejoin), so it is rebuilt to rejoin rather than left to exit.
    public bool CoreLost
    {
        get => Volatile.Read(ref _coreLost);
        set => Volatile.Write(ref _coreLost, value);
    }

    private bool _coreLost;
}
