namespace ActorGrid.Hosting.Membership;

// How an actor tells the process hosting it that this host should leave and join again: the
// host (ActorGrid.Node's GridHost) waits on Requested, stops the whole host through coordinated
// shutdown and builds it again, so the new actor system joins through the seeds like a fresh start.
public sealed class RejoinSignal
{
    private readonly TaskCompletionSource<string> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string> Requested => _requested.Task;

    public void Request(string reason) => _requested.TrySetResult(reason);
}
