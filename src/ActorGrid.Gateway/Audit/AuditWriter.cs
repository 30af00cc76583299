using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Gateway.Audit;

// On gateway hosts: takes audit records off the request path and appends them to the store in
// batches (every FlushInterval or BatchSize records), one append at a time, piped back. A failed
// append keeps its records and retries. Flush, sent by CoordinatedShutdown before the actor
// system ends, answers only once everything received so far is stored: nothing acknowledged to
// a client is lost on a graceful shutdown.
public sealed class AuditWriter : ReceiveActor, IWithTimers
{
    public sealed record Append(AuditRecord Record);

    public sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    public sealed class Flushed
    {
        public static readonly Flushed Instance = new();
    }

    private sealed record Appended(int Count);

    private sealed record AppendFailed(Exception Error);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly AuditStore _store;
    private readonly int _batchSize;
    private readonly List<AuditRecord> _buffer = [];
    private readonly List<IActorRef> _flushWaiters = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IReadOnlyList<AuditRecord> _inFlight = [];
    private int _failures;

    public AuditWriter(AuditStore store, int batchSize, TimeSpan flushInterval)
    {
        _store = store;
        _batchSize = batchSize;
        Receive<Append>(a =>
        {
            _buffer.Add(a.Record);
            if (_buffer.Count >= _batchSize) Write();
        });
        Receive<Tick>(_ => Write());
        Receive<Flush>(_ =>
        {
            _flushWaiters.Add(Sender);
            Write();
            AnswerFlushWaiters();
        });
        Receive<Appended>(a =>
        {
            _inFlight = [];
            _failures = 0;
            if (_buffer.Count >= _batchSize || _flushWaiters.Count > 0) Write();
            AnswerFlushWaiters();
        });
        Receive<AppendFailed>(f =>
        {
            _failures++;
            _log.Warning(f.Error, "Appending {0} audit records failed (attempt {1}); keeping them and retrying", _inFlight.Count, _failures);
            _buffer.InsertRange(0, _inFlight);
            _inFlight = [];
            // Back off before the next try; the periodic tick retries.
        });
        _flushInterval = flushInterval;
    }

    private readonly TimeSpan _flushInterval;

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", Tick.Instance, _flushInterval);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AuditStore store, int batchSize, TimeSpan flushInterval) =>
        Akka.Actor.Props.Create(() => new AuditWriter(store, batchSize, flushInterval));

    private void Write()
    {
        if (_inFlight.Count > 0 || _buffer.Count == 0) return;
        _inFlight = [.. _buffer];
        _buffer.Clear();
        var batch = _inFlight;
        _store.AppendAsync(batch).PipeTo(Self, success: stored => new Appended(stored.Count), failure: ex => new AppendFailed(ex));
    }

    private void AnswerFlushWaiters()
    {
        if (_inFlight.Count > 0 || _buffer.Count > 0 || _flushWaiters.Count == 0) return;
        foreach (var waiter in _flushWaiters) waiter.Tell(Flushed.Instance);
        _flushWaiters.Clear();
    }
}
