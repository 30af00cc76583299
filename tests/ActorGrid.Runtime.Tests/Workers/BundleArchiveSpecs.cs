using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ActorGrid.Worker.Bundles;

namespace ActorGrid.Runtime.Tests.Workers;

// The bundle unpacker on real files: archives built here with System.Formats.Tar, unpacked into a
// run directory that sits inside a parent the specs watch for anything written outside it.
public sealed class BundleArchiveSpecs : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "actorgrid-tests", "bundle-" + Guid.NewGuid().ToString("n"));
    private readonly string _run;

    public BundleArchiveSpecs()
    {
        _run = Directory.CreateDirectory(Path.Combine(_root, "runs", "t-1-1")).FullName;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Archive(bool gzip, params TarEntry[] entries)
    {
        var path = Path.Combine(_root, Guid.NewGuid().ToString("n") + (gzip ? ".tgz" : ".tar"));
        using (var file = File.Create(path))
        using (var compressed = gzip ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : (Stream)file)
        using (var writer = new TarWriter(compressed, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries) writer.WriteEntry(entry);
        return path;
    }

    private static PaxTarEntry FileEntry(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode };

    private static PaxTarEntry Entry(TarEntryType type, string name, string? link = null)
    {
        var entry = new PaxTarEntry(type, name);
        if (link is not null) entry.LinkName = link;
        return entry;
    }

    private List<string> EverythingUnderRoot() =>
        [.. Directory.EnumerateFileSystemEntries(_root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_root, p)).Order()];

    private Task<BundleArchive.Summary> Extract(string archive) => BundleArchive.ExtractAsync(archive, _run, long.MaxValue);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Should_unpack_files_and_directories_of_a_tar_or_tar_gz(bool gzip)
    {
        var archive = Archive(gzip, Entry(TarEntryType.Directory, "data/"), FileEntry("run.sh", "cat data/input.txt\n"), FileEntry("data/input.txt", "hello"));

        var summary = await Extract(archive);

        Assert.Equal(2, summary.Files);
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(_run, "data", "input.txt")));
        Assert.Equal("cat data/input.txt\n", await File.ReadAllTextAsync(Path.Combine(_run, "run.sh")));
    }

    [Fact]
    public async Task Should_refuse_an_entry_that_climbs_out_with_dot_dot_and_write_nothing_outside()
    {
        var archive = Archive(false, FileEntry("run.sh", "echo hi"), FileEntry("../escape", "owned"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains("'../escape'", refused.Message);
        Assert.DoesNotContain(EverythingUnderRoot(), p => p.EndsWith("escape", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_refuse_an_absolute_path()
    {
        var outside = Path.Combine(_root, "absolute.txt");
        var archive = Archive(false, FileEntry(outside, "owned"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains("absolute", refused.Message);
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public async Task Should_refuse_a_symbolic_link_that_points_outside()
    {
        var archive = Archive(false, Entry(TarEntryType.SymbolicLink, "up", "../../.."));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains("symbolic link 'up'", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_run));
    }

    [Fact]
    public async Task Should_refuse_to_write_through_a_link_the_archive_made_earlier()
    {
        // "here" points inside (allowed), but a later entry under it would land where the link
        // points, and a second link made through it ("here/up" → "..") would escape the checks.
        var archive = Archive(false, Entry(TarEntryType.SymbolicLink, "here", "."), Entry(TarEntryType.SymbolicLink, "here/up", ".."), FileEntry("here/up/escape", "owned"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains("through the link 'here'", refused.Message);
        Assert.DoesNotContain(EverythingUnderRoot(), p => p.EndsWith("escape", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_keep_a_symbolic_link_that_stays_inside()
    {
        var archive = Archive(false, FileEntry("data/input.txt", "hello"), Entry(TarEntryType.SymbolicLink, "input", "data/input.txt"));

        await Extract(archive);

        Assert.Equal("data/input.txt", new FileInfo(Path.Combine(_run, "input")).LinkTarget);
    }

    [Fact]
    public async Task Should_refuse_a_hard_link_to_a_file_outside()
    {
        var archive = Archive(false, Entry(TarEntryType.HardLink, "passwd", "../../../etc/passwd"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains("'..'", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_run));
    }

    [Fact]
    public async Task Should_turn_a_hard_link_inside_into_a_copy()
    {
        var archive = Archive(false, FileEntry("a.txt", "same"), Entry(TarEntryType.HardLink, "b.txt", "a.txt"));

        await Extract(archive);

        Assert.Equal("same", await File.ReadAllTextAsync(Path.Combine(_run, "b.txt")));
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice, "character device")]
    [InlineData(TarEntryType.BlockDevice, "block device")]
    [InlineData(TarEntryType.Fifo, "fifo")]
    public async Task Should_refuse_device_files_and_fifos(TarEntryType type, string named)
    {
        var archive = Archive(false, Entry(type, "dev"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => Extract(archive));

        Assert.Contains(named, refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_run));
    }

    [Fact]
    public async Task Should_drop_setuid_bits()
    {
        var archive = Archive(false, FileEntry("tool", "#!/bin/sh", (UnixFileMode)0b100_111_101_101)); // 04755

        await Extract(archive);

        if (!OperatingSystem.IsWindows())
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(_run, "tool")));
    }

    [Fact]
    public async Task Should_refuse_an_archive_that_unpacks_past_the_limit()
    {
        var archive = Archive(true, FileEntry("big", new string('x', 10_000)));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => BundleArchive.ExtractAsync(archive, _run, 1000));

        Assert.Contains("more than 1000 bytes", refused.Message);
    }

    [Theory]
    [InlineData("this is not a tar archive at all")]
    [InlineData("")]
    public async Task Should_refuse_bytes_that_are_not_a_tar(string content)
    {
        var path = Path.Combine(_root, "junk.tar");
        await File.WriteAllTextAsync(path, content);

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => BundleArchive.InspectAsync(path, long.MaxValue));

        Assert.Matches("not a valid tar|holds no files", refused.Message);
    }

    [Fact]
    public async Task Should_refuse_a_dot_dot_entry_when_only_checking_it_too()
    {
        var archive = Archive(true, FileEntry("ok", "1"), FileEntry("a/../../escape", "owned"));

        var refused = await Assert.ThrowsAsync<BundleArchive.RefusedException>(() => BundleArchive.InspectAsync(archive, long.MaxValue));

        Assert.Contains("'a/../../escape'", refused.Message);
    }
}
