using ActorGrid.Protocol;
using ActorGrid.Transfer.Blobs;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Worker.Checkpoints;

namespace ActorGrid.Runtime.Tests.Workers;

// Packing a checkpoint directory into the store and unpacking it elsewhere, on real files.
public sealed class CheckpointArchiveSpecs : IDisposable
{
    private static readonly TaskId Task = new("t-ckpt");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "actorgrid-tests", "ckpt-" + Guid.NewGuid().ToString("n"));

    public CheckpointArchiveSpecs() => Directory.CreateDirectory(_root);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static void Write(string dir, string relative, string content)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Fact]
    public async Task Should_unpack_on_another_host_exactly_what_was_packed()
    {
        var source = Dir("source");
        Write(source, "counter", "41");
        Write(source, "weights/epoch-3.bin", new string('w', 100_000));
        var store = new CheckpointStore(Dir("store"));

        var packed = await CheckpointArchive.PackAsync(source, store, Task, maxBytes: 1 << 20);

        Assert.NotNull(packed);
        var archive = store.PathOf(Task, packed.Sha256);
        Assert.Equal(packed.Sha256, await BlobChunks.HashFileAsync(archive));
        Assert.Equal(new FileInfo(archive).Length, packed.SizeBytes);
        var target = Dir("target");
        Write(target, "stale-from-an-older-run", "x");
        await CheckpointArchive.UnpackAsync(archive, packed.Sha256, target);
        Assert.Equal("41", File.ReadAllText(Path.Combine(target, "counter")));
        Assert.Equal(100_000, new FileInfo(Path.Combine(target, "weights", "epoch-3.bin")).Length);
        Assert.False(File.Exists(Path.Combine(target, "stale-from-an-older-run")));
    }

    [Fact]
    public async Task Should_keep_only_the_newest_archive_of_a_task_and_see_when_nothing_changed()
    {
        var source = Dir("source");
        var store = new CheckpointStore(Dir("store"));
        Assert.Null(await CheckpointArchive.PackAsync(source, store, Task, 1 << 20)); // nothing to pack
        Write(source, "counter", "1");
        var first = await CheckpointArchive.PackAsync(source, store, Task, 1 << 20);
        Assert.Equal(first!.Fingerprint, CheckpointArchive.Fingerprint(source));
        Write(source, "counter", "22");
        var second = await CheckpointArchive.PackAsync(source, store, Task, 1 << 20);

        Assert.NotEqual(first.Fingerprint, second!.Fingerprint);
        Assert.NotEqual(first.Sha256, second.Sha256);
        Assert.False(store.Has(Task, first.Sha256));
        Assert.True(store.Has(Task, second.Sha256));
        store.Forget(Task);
        Assert.False(store.Has(Task, second.Sha256));
    }

    [Fact]
    public async Task Should_leave_out_files_still_being_written_and_not_see_them_as_a_change()
    {
        var source = Dir("writing");
        Write(source, "model", "v1");
        var before = CheckpointArchive.Fingerprint(source);
        Write(source, "model.tmp", "v2, half of it");
        Write(source, "shards.partial/0", "half");
        Write(source, "epochs/3.partial", "half");
        Assert.Equal(before, CheckpointArchive.Fingerprint(source));
        var store = new CheckpointStore(Dir("store-writing"));

        var packed = await CheckpointArchive.PackAsync(source, store, Task, maxBytes: 1 << 20);

        var target = Dir("target-writing");
        await CheckpointArchive.UnpackAsync(store.PathOf(Task, packed!.Sha256), packed.Sha256, target);
        Assert.Equal(["epochs", "model"], Directory.EnumerateFileSystemEntries(target, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(target, p)).Order(StringComparer.Ordinal));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "model")));
    }

    [Fact]
    public async Task Should_refuse_a_directory_larger_than_the_limit_and_store_nothing()
    {
        var source = Dir("source");
        Write(source, "big", new string('b', 5000));
        var store = new CheckpointStore(Dir("store"));

        var error = await Assert.ThrowsAsync<CheckpointArchive.TooLargeException>(() => CheckpointArchive.PackAsync(source, store, Task, maxBytes: 4096));

        Assert.Contains("4096", error.Message);
        Assert.False(Directory.Exists(Path.Combine(store.Root, Task.Value)));
    }

    [Fact]
    public async Task Should_refuse_an_archive_whose_hash_is_not_the_one_named_and_leave_the_directory_alone()
    {
        var source = Dir("source");
        Write(source, "counter", "7");
        var store = new CheckpointStore(Dir("store"));
        var packed = await CheckpointArchive.PackAsync(source, store, Task, 1 << 20);
        var target = Dir("target");
        Write(target, "mine", "keep");

        var wrong = new string('0', 64);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CheckpointArchive.UnpackAsync(store.PathOf(Task, packed!.Sha256), wrong, target));

        Assert.Contains(packed!.Sha256, error.Message);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "mine")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
