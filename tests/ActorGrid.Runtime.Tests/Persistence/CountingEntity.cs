using ActorGrid.Core.Persistence;
using Akka.Actor;
using Akka.Persistence;

namespace ActorGrid.Runtime.Tests.Persistence;

// The smallest PersistentEntity: a running total. Add(n, times) persists `times` events in one
// write, or applies them at once and writes them batched (ahead); GetTotal reports what it holds.
public sealed class CountingEntity : PersistentEntity
{
    private CountingState _state = CountingState.Empty;

    public CountingEntity(string id) : base("counting")
    {
        PersistenceId = "counting/" + id;
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is CountingState snapshot) _state = snapshot with { RecoveredFromSnapshotAt = offer.Metadata.SequenceNr };
        });
        Recover<Counted>(evt => _state = _state.Apply(evt));
        Command<Count>(cmd =>
        {
            var sender = Sender;
            var events = Enumerable.Range(0, cmd.Times).Select(_ => new Counted(cmd.By)).ToList();
            if (cmd.Ahead)
                PersistEventsAhead(events, evt => _state = _state.Apply(evt), () => sender.Tell(new Counted(_state.Total)));
            else
                PersistEvents(events, evt => _state = _state.Apply(evt), () => sender.Tell(new Counted(_state.Total)));
        });
        Command<GetCount>(_ => Sender.Tell(_state));
    }

    public override string PersistenceId { get; }

    public static Props Props(string id) => Akka.Actor.Props.Create(() => new CountingEntity(id));

    protected override object ToSnapshot() => _state with { RecoveredFromSnapshotAt = null };
}

public sealed record CountingState(int Total, int Events, long? RecoveredFromSnapshotAt)
{
    public static readonly CountingState Empty = new(0, 0, null);

    public CountingState Apply(Counted evt) => this with { Total = Total + evt.By, Events = Events + 1 };
}

public sealed record Count(int By, int Times = 1, bool Ahead = false);

public sealed record Counted(int By);

public sealed record GetCount
{
    public static readonly GetCount Instance = new();
}
