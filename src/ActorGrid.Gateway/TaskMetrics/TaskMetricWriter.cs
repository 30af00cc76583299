using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;

namespace ActorGrid.Gateway.TaskMetrics;

// Published on this host's EventStream after an append: these tasks have new points in the store
// (the metric streams wake on it and read the store, which stays the one source of truth).
public sealed record TaskMetricsStored(IReadOnlySet<string> TaskIds);

// On gateway hosts (at /user/task-metric-writer): subscribes to Topics.TaskMetrics, where worker
// agents publish every metric line of their running attempts, and appends them to the
// TaskMetricStore in batches (every FlushInterval or BatchSize points), one append at a time,
// piped back. A failed append keeps its batch and retries at the next tick; while the database is
// away at most MaxBufferedPoints wait, and what arrives beyond that is dropped with a warning.
// Every prune-interval it removes points older than the retention. Nobody asks it anything.
public sealed class TaskMetricWriter : ReceiveActor, IWithTimers
{
    private readonly TaskMetricStore _store;
    private readonly TaskMetricSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<TaskMetricsSampled> _buffer = [];
    private IReadOnlyList<TaskMetricsSampled> _inFlight = [];
    private int _bufferedPoints;
    private long _dropped;
    private bool _pruning;

    public TaskMetricWriter(TaskMetricStore store, TaskMetricSettings settings)
    {
        _store = store;
        _settings = settings;
        Receive<SubscribeAck>(_ => { });
        Receive<TaskMetricsSampled>(OnSampled);
        Receive<FlushTick>(_ => Write());
        Receive<Appended>(appended =>
        {
            _inFlight = [];
            if (appended.Tasks.Count > 0) Context.System.EventStream.Publish(new TaskMetricsStored(appended.Tasks));
            if (_bufferedPoints >= _settings.BatchSize) Write();
        });
        Receive<AppendFailed>(failed =>
        {
            _log.Warning(failed.Error, "Appending {0} metric batches failed; keeping them and retrying", _inFlight.Count);
            _buffer.InsertRange(0, _inFlight);
            _bufferedPoints += _inFlight.Sum(PointsOf);
            _inFlight = [];
        });
        Receive<PruneTick>(_ =>
        {
            if (_pruning) return;
            _pruning = true;
            var cutoff = (DateTimeOffset.UtcNow - _settings.Retention).ToUnixTimeMilliseconds();
            _store.PruneAsync(cutoff).PipeTo(Self, success: removed => new Pruned(removed, null), failure: ex => new Pruned(0, ex));
        });
        Receive<Pruned>(pruned =>
        {
            _pruning = false;
            if (pruned.Error is not null) _log.Warning(pruned.Error, "Pruning task metrics failed; retrying at the next interval");
            else if (pruned.Removed > 0) _log.Info("Task metric retention removed {0} points", pruned.Removed);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TaskMetricStore store, TaskMetricSettings settings) =>
        Akka.Actor.Props.Create(() => new TaskMetricWriter(store, settings));

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(Topics.TaskMetrics, Self));
        Timers.StartPeriodicTimer("flush", FlushTick.Instance, _settings.FlushInterval);
        Timers.StartPeriodicTimer("prune", PruneTick.Instance, TimeSpan.FromSeconds(Math.Min(10, _settings.PruneInterval.TotalSeconds)), _settings.PruneInterval);
    }

    private void OnSampled(TaskMetricsSampled batch)
    {
        var points = PointsOf(batch);
        if (_bufferedPoints + points > _settings.MaxBufferedPoints)
        {
            // The store is behind or away: a bounded wait, not an unbounded heap.
            if (_dropped == 0 || _dropped % 10_000 < points)
                _log.Warning("The metric store is behind ({0} points waiting): dropping {1} points of {2} attempt {3} ({4} dropped so far)",
                    _bufferedPoints, points, batch.TaskId, batch.Attempt, _dropped + points);
            _dropped += points;
            return;
        }
        _buffer.Add(batch);
        _bufferedPoints += points;
        if (_bufferedPoints >= _settings.BatchSize) Write();
    }

    private void Write()
    {
        if (_inFlight.Count > 0 || _buffer.Count == 0) return;
        _inFlight = [.. _buffer];
        _buffer.Clear();
        _bufferedPoints = 0;
        _store.AppendAsync(_inFlight, _settings.MaxPointsPerTask)
            .PipeTo(Self, success: r => new Appended(r.Stored, r.Tasks), failure: ex => new AppendFailed(ex));
    }

    private static int PointsOf(TaskMetricsSampled batch) => batch.Lines.Sum(l => l.Values.Count);

    private sealed record Appended(int Stored, IReadOnlySet<string> Tasks);

    private sealed record AppendFailed(Exception Error);

    private sealed record Pruned(int Removed, Exception? Error);

    private sealed class FlushTick
    {
        public static readonly FlushTick Instance = new();
    }

    private sealed class PruneTick
    {
        public static readonly PruneTick Instance = new();
    }
}
