using System.Threading.Channels;

namespace ActorGrid.Gateway.Observability;

// One update for the dashboard page: an SSE event name (snapshot, summary, task, decision, node,
// member) and its JSON payload.
public sealed record DashboardUpdate(string Event, object Data);

// The mailbox between GridObserver and one open dashboard stream. The observer never waits on a
// browser: when a stream falls this far behind, its channel is closed, the stream ends, and the
// page's EventSource reconnects and starts again from a fresh snapshot.
public sealed class DashboardWatcher(int capacity = 4096)
{
    private readonly Channel<DashboardUpdate> _updates = Channel.CreateBounded<DashboardUpdate>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<DashboardUpdate> Updates => _updates.Reader;

    public bool FellBehind { get; private set; }

    public void Push(DashboardUpdate update)
    {
        if (_updates.Writer.TryWrite(update)) return;
        FellBehind = true;
        _updates.Writer.TryComplete();
    }
}

// Local messages to GridObserver, from the gateway's own endpoints (never remote).
public sealed record WatchDashboard(DashboardWatcher Watcher);

public sealed record UnwatchDashboard(DashboardWatcher Watcher);

public sealed record GetDashboardSnapshot
{
    public static readonly GetDashboardSnapshot Instance = new();
}

// Registry key for this gateway host's observer.
public sealed class GridObserverKey;
