using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Runtime.Tests.Infrastructure;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Worker.Checkpoints;
using Akka.Actor;
using Akka.TestKit;

namespace ActorGrid.Runtime.Tests.Workers;

// Checkpoints moving between hosts as actors: one host's CheckpointServer serves an archive, another
// host's CheckpointKeeper fetches it in chunks, checks its hash and unpacks it, or says why not.
// Both "hosts" are stores in separate folders of one real actor system, talking by actor path.
public sealed class CheckpointTransferSpecs : GridTestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TaskId Task = new("t-move");
    private static readonly CheckpointSettings Settings = new(MaxBytes: 1 << 20, CopyInterval: TimeSpan.Zero, ChunkBytes: 4096, FetchTimeout: TimeSpan.FromSeconds(5));
    private readonly string _root;
    private readonly CheckpointStore _storeA;
    private readonly string _holderA;

    public CheckpointTransferSpecs() : base(new SqliteGridConfig())
    {
        _root = Files.Directory;
        _storeA = new CheckpointStore(Path.Combine(_root, "host-a", "blobs"));
        Sys.ActorOf(CheckpointServer.Props(_storeA, Settings), "checkpoints-a");
        _holderA = Member + "/user/checkpoints-a";
    }

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    // Host A packs a directory with a counter and a file larger than one chunk.
    private CheckpointRef PackedOnA(string counter)
    {
        var dir = Dir("host-a/checkpoints/" + Task.Value);
        File.WriteAllText(Path.Combine(dir, "counter"), counter);
        File.WriteAllBytes(Path.Combine(dir, "state.bin"), Enumerable.Range(0, 20_000).Select(i => (byte)i).ToArray());
        var packed = CheckpointArchive.PackAsync(dir, _storeA, Task, Settings.MaxBytes).GetAwaiter().GetResult()!;
        return new CheckpointRef(packed.Sha256, packed.SizeBytes, [_holderA], DateTimeOffset.UtcNow);
    }

    // Host B's keeper, as a child of an actor that hands what the keeper tells its parent to a probe.
    private (IActorRef Keeper, TestProbe Parent) KeeperOnB()
    {
        var parent = CreateTestProbe();
        var storeB = new CheckpointStore(Path.Combine(_root, "host-b", "blobs"));
        var host = Sys.ActorOf(ParentOf.Props(CheckpointKeeper.Props(storeB, Settings, Member + "/user/checkpoints-b"), parent));
        return (host, parent);
    }

    [Fact]
    public void Should_fetch_a_checkpoint_from_the_host_that_packed_it_and_unpack_it_before_the_attempt()
    {
        var checkpoint = PackedOnA("41");
        var (keeper, parent) = KeeperOnB();
        var dir = Path.Combine(_root, "host-b", "checkpoints", Task.Value);

        keeper.Tell(new CheckpointKeeper.Restore(Task, 2, checkpoint, dir));

        var restored = parent.ExpectMsg<CheckpointKeeper.Restored>(Wait);
        Assert.False(restored.Failed, restored.Note);
        Assert.Contains("fetched from " + _holderA, restored.Note);
        Assert.Equal("41", File.ReadAllText(Path.Combine(dir, "counter")));
        Assert.Equal(20_000, new FileInfo(Path.Combine(dir, "state.bin")).Length);
    }

    [Fact]
    public void Should_start_fresh_with_the_reason_when_no_holder_has_the_checkpoint()
    {
        var checkpoint = PackedOnA("41") with { Sha256 = new string('a', 64) };
        var (keeper, parent) = KeeperOnB();
        var dir = Dir("host-b/checkpoints/" + Task.Value);
        File.WriteAllText(Path.Combine(dir, "half-written"), "x");

        keeper.Tell(new CheckpointKeeper.Restore(Task, 2, checkpoint with { Holders = [Member + "/user/nobody-here", _holderA] }, dir));

        var restored = parent.ExpectMsg<CheckpointKeeper.Restored>(Wait);
        Assert.True(restored.Failed);
        Assert.Contains("could not be restored", restored.Note);
        Assert.Contains("is not stored on this host", restored.Note); // the second holder's answer
        Assert.Contains("starts fresh", restored.Note);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public void Should_reject_fetched_bytes_that_do_not_hash_to_the_checkpoint_named()
    {
        var checkpoint = PackedOnA("41");
        // Host A's copy goes bad on disk after it was stored.
        var archive = _storeA.PathOf(Task, checkpoint.Sha256);
        var bytes = File.ReadAllBytes(archive);
        bytes[600] ^= 0xff;
        File.WriteAllBytes(archive, bytes);
        var (keeper, parent) = KeeperOnB();
        var dir = Path.Combine(_root, "host-b", "checkpoints", Task.Value);

        keeper.Tell(new CheckpointKeeper.Restore(Task, 2, checkpoint, dir));

        var restored = parent.ExpectMsg<CheckpointKeeper.Restored>(Wait);
        Assert.True(restored.Failed);
        Assert.Contains($"not {checkpoint.Sha256}", restored.Note);
        Assert.False(File.Exists(Path.Combine(dir, "counter")));
    }

    [Fact]
    public void Should_pack_an_unfinished_attempt_so_another_host_can_fetch_it()
    {
        var (keeper, parent) = KeeperOnB();
        var dir = Dir("host-b/checkpoints/" + Task.Value);
        File.WriteAllText(Path.Combine(dir, "counter"), "9");
        Sys.ActorOf(CheckpointServer.Props(new CheckpointStore(Path.Combine(_root, "host-b", "blobs")), Settings), "checkpoints-b");

        keeper.Tell(new CheckpointKeeper.Pack(Task, 1, dir));
        var packed = parent.ExpectMsg<CheckpointKeeper.Packed>(Wait);
        Assert.Null(packed.Problem);
        Assert.Equal([Member + "/user/checkpoints-b"], packed.Checkpoint!.Holders);

        // A durable host copies it from B and can then serve it itself.
        var durable = Sys.ActorOf(CheckpointServer.Props(new CheckpointStore(Path.Combine(_root, "durable", "blobs")), Settings), "checkpoints-durable");
        durable.Tell(new CopyCheckpoint(Task, 1, packed.Checkpoint));
        var copied = ExpectMsg<CheckpointCopied>(Wait);
        Assert.Equal(Member + "/user/checkpoints-durable", copied.Holder);
        Assert.True(new CheckpointStore(Path.Combine(_root, "durable", "blobs")).Has(Task, packed.Checkpoint.Sha256));

        // Unchanged since: packing again names the same archive.
        keeper.Tell(new CheckpointKeeper.Pack(Task, 1, dir));
        Assert.Equal(packed.Checkpoint.Sha256, parent.ExpectMsg<CheckpointKeeper.Packed>(Wait).Checkpoint!.Sha256);
    }

    // Hosts a child; what the child tells its parent goes to the probe, anything else to the child.
    private sealed class ParentOf : ReceiveActor
    {
        public ParentOf(Props child, IActorRef probe)
        {
            var kid = Context.ActorOf(child, "kid");
            ReceiveAny(m =>
            {
                if (Sender.Equals(kid)) probe.Forward(m);
                else kid.Forward(m);
            });
        }

        public static Props Props(Props child, IActorRef probe) => Akka.Actor.Props.Create(() => new ParentOf(child, probe));
    }
}
