using System.Formats.Tar;
using System.IO.Compression;

namespace ActorGrid.Worker.Bundles;

// Reads a bundle (a tar, gzipped or not: gzip's magic bytes decide) and either only checks it (the
// gateway, at upload) or unpacks it into an attempt's working directory (the worker, before the
// attempt starts), by the same rules. Unpacking runs as the node's user, so nothing in a tenant's
// archive may steer a write: entries with absolute paths or '..', device files and fifos, links
// that point outside the directory and entries that would be written through a link are refused,
// and the whole archive with them. Hard links become copies of the file they name; setuid, setgid
// and sticky bits are dropped. The caller hands the tree to the attempt's uid afterwards.
public static class BundleArchive
{
    public sealed class RefusedException(string message) : Exception(message);

    public sealed record Summary(int Files, long Bytes);

    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // rwxrwxrwx, nothing above

    public static Task<Summary> InspectAsync(string archive, long maxUnpackedBytes, CancellationToken cancel = default) =>
        WalkAsync(archive, null, maxUnpackedBytes, cancel);

    public static Task<Summary> ExtractAsync(string archive, string directory, long maxUnpackedBytes, CancellationToken cancel = default) =>
        WalkAsync(archive, Path.GetFullPath(directory), maxUnpackedBytes, cancel);

    private static async Task<Summary> WalkAsync(string archive, string? directory, long maxUnpackedBytes, CancellationToken cancel)
    {
        await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var magic = new byte[2];
        var gzipped = await file.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancel) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        await using var content = gzipped ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : (Stream)file;
        // Checking needs a root to resolve links against; any absolute path will do.
        var root = directory ?? "/bundle";
        int files = 0, entries = 0;
        long bytes = 0;
        try
        {
            await using var reader = new TarReader(content, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, cancel) is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes) continue;
                entries++;
                var segments = Segments(entry.Name);
                if (segments.Count == 0)
                {
                    if (entry.EntryType == TarEntryType.Directory) continue; // "./", the archive's own root
                    throw new RefusedException($"entry '{entry.Name}' has no name");
                }
                var name = string.Join('/', segments);
                var target = Path.Join(root, name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        if (directory is null) break;
                        RefuseLinksOnTheWay(root, segments, segments.Count, entry.Name);
                        Directory.CreateDirectory(target);
                        SetMode(target, entry.Mode | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        bytes += entry.Length;
                        files++;
                        if (bytes > maxUnpackedBytes)
                            throw new RefusedException($"it unpacks to more than {maxUnpackedBytes} bytes, the most a bundle may hold");
                        if (directory is null) break;
                        PrepareTarget(root, segments, entry.Name, target);
                        await using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                            if (entry.DataStream is { } data) await data.CopyToAsync(output, cancel);
                        SetMode(target, entry.Mode | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                        break;
                    case TarEntryType.SymbolicLink:
                        var link = entry.LinkName;
                        if (link.Length == 0 || link.Contains('\0') || Path.IsPathRooted(link))
                            throw new RefusedException($"symbolic link '{entry.Name}' points to '{link}': links in a bundle must be relative and stay inside it");
                        var resolved = Path.GetFullPath(Path.Join(Path.GetDirectoryName(target)!, link));
                        if (!IsInside(root, resolved))
                            throw new RefusedException($"symbolic link '{entry.Name}' points to '{link}', outside the bundle");
                        if (directory is null) break;
                        PrepareTarget(root, segments, entry.Name, target);
                        File.CreateSymbolicLink(target, link);
                        break;
                    case TarEntryType.HardLink:
                        var source = Segments(entry.LinkName);
                        if (source.Count == 0)
                            throw new RefusedException($"hard link '{entry.Name}' names no file");
                        if (directory is null) break;
                        RefuseLinksOnTheWay(root, source, source.Count, entry.LinkName);
                        var sourcePath = Path.Join(root, string.Join('/', source));
                        if (!File.Exists(sourcePath))
                            throw new RefusedException($"hard link '{entry.Name}' names '{entry.LinkName}', which is not a file earlier in the bundle");
                        bytes += new FileInfo(sourcePath).Length;
                        if (bytes > maxUnpackedBytes)
                            throw new RefusedException($"it unpacks to more than {maxUnpackedBytes} bytes, the most a bundle may hold");
                        PrepareTarget(root, segments, entry.Name, target);
                        File.Copy(sourcePath, target);
                        files++;
                        break;
                    default:
                        throw new RefusedException($"entry '{entry.Name}' is a {Describe(entry.EntryType)}: a bundle may hold only files, directories and links");
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException)
        {
            throw new RefusedException($"it is not a valid {(gzipped ? "tar.gz" : "tar")} archive ({ex.Message})");
        }
        if (entries == 0) throw new RefusedException("it holds no files");
        return new Summary(files, bytes);
    }

    // The entry's path as its parts, "./" and empty parts dropped; absolute paths and '..' are refused.
    private static List<string> Segments(string name)
    {
        if (name.Contains('\0')) throw new RefusedException($"entry '{name.Replace('\0', '?')}' has a NUL in its name");
        if (name.StartsWith('/')) throw new RefusedException($"entry '{name}' is an absolute path: paths in a bundle must be relative");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw new RefusedException($"entry '{name}' climbs out of the bundle with '..'");
        return parts;
    }

    private static bool IsInside(string root, string path) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    // A link the archive made earlier must not redirect a later write: no part of the way to an
    // entry may be a link. Counts: how many leading parts to check.
    private static void RefuseLinksOnTheWay(string root, List<string> segments, int count, string name)
    {
        var path = root;
        for (var i = 0; i < count; i++)
        {
            path = Path.Join(path, segments[i]);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
                throw new RefusedException($"entry '{name}' would be written through the link '{string.Join('/', segments.Take(i + 1))}'");
            if (!info.Exists && !Directory.Exists(path)) return; // nothing further down exists yet
        }
    }

    // Parents exist and are real directories; an earlier entry of the same name (a file or a link)
    // is replaced rather than written through.
    private static void PrepareTarget(string root, List<string> segments, string name, string target)
    {
        RefuseLinksOnTheWay(root, segments, segments.Count - 1, name);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var existing = new FileInfo(target);
        if (existing.LinkTarget is not null || existing.Exists) existing.Delete();
        else if (Directory.Exists(target)) throw new RefusedException($"entry '{name}' is a directory earlier in the bundle");
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode & PermissionBits);
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => "character device",
        TarEntryType.BlockDevice => "block device",
        TarEntryType.Fifo => "fifo",
        _ => $"'{type}' entry",
    };
}
