using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;

namespace ActorGrid.Runtime.Tests.Persistence;

// The one persist → apply → reply → snapshot rule every core entity shares, on the in-memory
// test journal and snapshot store (whose saves a spec can make fail).
public class PersistentEntitySpecs() : Akka.TestKit.Xunit2.TestKit(Config)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.persistence {
          journal {
            plugin = "akka.persistence.journal.test"
            test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          }
          snapshot-store {
            plugin = "akka.persistence.snapshot-store.test"
            test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
          }
        }
        actorgrid.persistence.snapshot-every.counting = 3
        """);

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    private IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    [Fact]
    public void Should_snapshot_every_n_events_delete_what_it_covers_and_recover_the_same_state()
    {
        var entity = Sys.ActorOf(CountingEntity.Props("a"));
        for (var i = 1; i <= 7; i++)
        {
            entity.Tell(new Count(i));
            ExpectMsg<Counted>(Wait);
        }

        AwaitAssert(() => Assert.Equal(6, LatestSnapshot("counting/a")?.Metadata.SequenceNr), Wait);
        // Events 1..5 are covered and gone; 6 stays (the id stays listed in the journal), 7 is the tail.
        AwaitAssert(() => Assert.Equal([6L, 7L], JournalSequenceNrs("counting/a")), Wait);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity, Wait);

        var again = Sys.ActorOf(CountingEntity.Props("a"));
        again.Tell(GetCount.Instance);
        var state = ExpectMsg<CountingState>(Wait);
        Assert.Equal((28, 7, 6L), (state.Total, state.Events, state.RecoveredFromSnapshotAt));
    }

    [Fact]
    public void Should_snapshot_when_a_batch_steps_over_the_snapshot_point()
    {
        var entity = Sys.ActorOf(CountingEntity.Props("b"));
        entity.Tell(new Count(1, Times: 2));
        ExpectMsg<Counted>(Wait);
        Assert.Null(LatestSnapshot("counting/b"));
        entity.Tell(new Count(1, Times: 2));
        ExpectMsg<Counted>(Wait);
        AwaitAssert(() => Assert.Equal(4, LatestSnapshot("counting/b")?.Metadata.SequenceNr), Wait);
    }

    // Events applied ahead of the journal: the due snapshot waits until none is in flight, so it
    // holds only what is durable, and recovery from it plus the tail gives the same total.
    [Fact]
    public void Should_snapshot_ahead_written_events_only_once_they_are_durable()
    {
        var entity = Sys.ActorOf(CountingEntity.Props("c"));
        var probe = CreateTestProbe();
        for (var i = 0; i < 20; i++) entity.Tell(new Count(1, Ahead: true), probe.Ref);
        var replies = probe.ReceiveN(20, Wait).Cast<Counted>().Select(c => c.By).ToList();
        Assert.Equal(20, replies.Max());
        AwaitAssert(() => Assert.NotNull(LatestSnapshot("counting/c")), Wait);
        var snapshot = LatestSnapshot("counting/c")!;
        Assert.Equal((int)snapshot.Metadata.SequenceNr, ((CountingState)snapshot.Snapshot).Events);
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity, Wait);

        var again = Sys.ActorOf(CountingEntity.Props("c"));
        again.Tell(GetCount.Instance);
        Assert.Equal(20, ExpectMsg<CountingState>(Wait).Total);
    }

    [Fact]
    public async Task Should_log_a_failed_snapshot_and_keep_working_and_recovering()
    {
        var store = TestSnapshotStore.FromRef(SnapshotStore);
        await store.OnSave.Fail();
        var entity = Sys.ActorOf(CountingEntity.Props("d"));
        for (var i = 1; i <= 2; i++)
        {
            entity.Tell(new Count(1));
            ExpectMsg<Counted>(Wait);
        }

        await EventFilter.Warning(contains: "saving the snapshot at event 3 failed").ExpectOneAsync(async () =>
        {
            entity.Tell(new Count(1));
            await ExpectMsgAsync<Counted>(Wait);
        });
        entity.Tell(new Count(1));
        Assert.Equal(4, ExpectMsg<Counted>(Wait).By);
        Assert.Null(LatestSnapshot("counting/d"));
        Assert.Equal([1L, 2L, 3L, 4L], JournalSequenceNrs("counting/d"));

        await store.OnSave.Pass();
        Watch(entity);
        Sys.Stop(entity);
        ExpectTerminated(entity, Wait);
        var again = Sys.ActorOf(CountingEntity.Props("d"));
        again.Tell(GetCount.Instance);
        var state = ExpectMsg<CountingState>(Wait);
        Assert.Equal((4, null), (state.Total, state.RecoveredFromSnapshotAt));
    }

    private SelectedSnapshot? LatestSnapshot(string persistenceId)
    {
        var probe = CreateTestProbe();
        SnapshotStore.Tell(new LoadSnapshot(persistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        return probe.ExpectMsg<LoadSnapshotResult>(Wait).Snapshot;
    }

    private List<long> JournalSequenceNrs(string persistenceId)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, persistenceId, probe.Ref), probe.Ref);
        var seen = new List<long>();
        while (true)
        {
            switch (probe.ReceiveOne(Wait))
            {
                case ReplayedMessage replayed:
                    seen.Add(replayed.Persistent.SequenceNr);
                    break;
                case RecoverySuccess:
                    return seen;
                case var other:
                    throw new InvalidOperationException($"unexpected {other}");
            }
        }
    }
}
