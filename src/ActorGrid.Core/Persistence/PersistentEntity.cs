using System.Diagnostics;
using ActorGrid.Core.Observability;
using Akka.Event;
using Akka.Persistence;

namespace ActorGrid.Core.Persistence;

// What every persistent entity of the core does once its pure state has decided: write the
// events, apply them, act (reply, publish), snapshot by one rule, and drop what a snapshot
// covers. The entities derive from it and keep only their own Decide/Apply wiring.
//
// Snapshots: every N events (SnapshotSettings, actorgrid.persistence.snapshot-every.<kind>),
// and only of durable state: while events written with PersistEventsAhead are in flight the
// state is ahead of the journal, so a due snapshot waits until they are all confirmed. A saved
// snapshot deletes the events it covers but the last one, and the snapshots before it. The
// last is kept because the SQL read journal lists only ids with an undeleted row, and operator
// listings (JournalIds) find tenants and catalogs that way. A failed save or delete is logged
// and otherwise harmless: recovery replays more events until the next snapshot.
public abstract class PersistentEntity : ReceivePersistentActor
{
    private readonly string _kind;
    private readonly SnapshotSettings _snapshots;
    private int _aheadInFlight;
    private bool _snapshotDue;

    // kind: the entity's name in metrics and in actorgrid.persistence.snapshot-every.
    protected PersistentEntity(string kind)
    {
        _kind = kind;
        _snapshots = SnapshotSettings.For(Context.System, kind);

        Command<SaveSnapshotSuccess>(ok =>
        {
            if (ok.Metadata.SequenceNr > 1) DeleteMessages(ok.Metadata.SequenceNr - 1);
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failed => Log.Warning(failed.Cause,
            "{0}: saving the snapshot at event {1} failed; recovery replays from the previous one until a later save succeeds",
            PersistenceId, failed.Metadata.SequenceNr));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failed => Log.Warning(failed.Cause,
            "{0}: deleting the events up to {1} that a snapshot covers failed; they stay in the journal until the next snapshot",
            PersistenceId, failed.ToSequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => Log.Warning(failed.Cause,
            "{0}: deleting snapshots older than the newest failed; they stay until the next snapshot",
            PersistenceId));
    }

    // The entity's state in its persisted snapshot format.
    protected abstract object ToSnapshot();

    // One write for the events (PersistAll: commands wait until it is durable); apply runs for each
    // event as it is confirmed, then `then` once for the batch. No events: `then` runs at once.
    protected void PersistEvents<TEvent>(IReadOnlyList<TEvent> events, Action<TEvent> apply, Action then) where TEvent : class
    {
        if (events.Count == 0)
        {
            then();
            return;
        }
        var started = Stopwatch.GetTimestamp();
        PersistAll(events, apply);
        DeferAsync(events[^1], _ =>
        {
            Written(events.Count, started);
            then();
        });
    }

    // For a hot path: the events are applied at once, so the next command is decided against
    // them, and written with PersistAllAsync, which batches the events decided while a write is in
    // flight into one. `then` (the ack) waits for the write. A failed write stops the actor and so
    // drops the undurable state; an entity using this must do the same for a rejected one
    // (OnPersistRejected).
    protected void PersistEventsAhead<TEvent>(IReadOnlyList<TEvent> events, Action<TEvent> apply, Action then) where TEvent : class
    {
        if (events.Count == 0)
        {
            then();
            return;
        }
        foreach (var evt in events) apply(evt);
        _aheadInFlight += events.Count;
        var left = events.Count;
        var started = Stopwatch.GetTimestamp();
        PersistAllAsync(events, _ =>
        {
            _aheadInFlight--;
            if (--left > 0) return;
            Written(events.Count, started);
            then();
        });
    }

    private void Written(int events, long started)
    {
        JournalMetrics.ObserveWrite(_kind, Stopwatch.GetElapsedTime(started), events);
        if (_snapshots.IsDue(LastSequenceNr, events)) _snapshotDue = true;
        if (!_snapshotDue || _aheadInFlight > 0) return;
        _snapshotDue = false;
        SaveSnapshot(ToSnapshot());
    }
}
