using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using ActorGrid.Protocol;
using ActorGrid.Transfer.Blobs;
using ActorGrid.Transfer.Checkpoints;

namespace ActorGrid.Worker.Checkpoints;

// Turns a task's checkpoint directory into one tar archive in the store and back. Packing refuses
// a directory larger than the configured limit (the limit is on what travels between hosts);
// unpacking checks the archive's SHA-256 before it touches the directory, and the tar reader
// refuses entries and links that would land outside it.
// A half-written checkpoint never replaces the last good one: the archive is written to a temp
// file and moved into the store only when complete (CheckpointStore.Commit), and files the job is
// still writing are left out. The convention (README, "Checkpoints"): write a file (or directory)
// under a name ending in .tmp or .partial and rename it when complete; a rename is atomic, so the
// pack sees the old version or the new one, never half of it. A job killed in the middle of a
// write leaves its last complete version to the next attempt.
public static class CheckpointArchive
{
    public sealed record Packed(string Sha256, long SizeBytes, string Fingerprint);

    public sealed class TooLargeException(string message) : Exception(message);

    // Whether a name says its file (or directory) is still being written.
    public static bool IsInProgress(string name) =>
        name.EndsWith(".tmp", StringComparison.Ordinal) || name.EndsWith(".partial", StringComparison.Ordinal);

    // Every directory and complete file below dir, parents before children; links are entries of
    // their own and never followed.
    private static IEnumerable<FileSystemInfo> Complete(DirectoryInfo dir)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (IsInProgress(entry.Name)) continue;
            yield return entry;
            if (entry is DirectoryInfo sub && sub.LinkTarget is null)
                foreach (var below in Complete(sub)) yield return below;
        }
    }

    private static IEnumerable<FileInfo> CompleteFiles(string dir) => Complete(new DirectoryInfo(dir)).OfType<FileInfo>();

    // What the file system says about the directory's complete content: every file's path, size
    // and write time. Equal fingerprints mean nothing was written since, so there is nothing new to
    // pack. Null for a directory that is missing or holds no complete files.
    public static string? Fingerprint(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        var files = CompleteFiles(dir)
            .Select(f => $"{Path.GetRelativePath(dir, f.FullName)}\0{f.Length}\0{f.LastWriteTimeUtc.Ticks}")
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) return null;
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files)))).ToLowerInvariant();
    }

    // Null when there is nothing to pack. Throws TooLargeException past maxBytes.
    public static async Task<Packed?> PackAsync(string dir, CheckpointStore store, TaskId task, long maxBytes, CancellationToken cancel = default)
    {
        var fingerprint = Fingerprint(dir);
        if (fingerprint is null) return null;
        var content = CompleteFiles(dir).Sum(f => f.Length);
        if (content > maxBytes)
            throw new TooLargeException($"the checkpoint directory holds {content} bytes, more than the {maxBytes} allowed to travel between hosts");
        var temp = store.NewTempFile();
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await using (var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false))
            {
                foreach (var entry in Complete(new DirectoryInfo(dir)))
                {
                    var name = Path.GetRelativePath(dir, entry.FullName).Replace('\\', '/');
                    await tar.WriteEntryAsync(entry.FullName, entry is DirectoryInfo && entry.LinkTarget is null ? name + "/" : name, cancel);
                }
            }
            var size = new FileInfo(temp).Length;
            if (size > maxBytes)
                throw new TooLargeException($"the packed checkpoint is {size} bytes, more than the {maxBytes} allowed to travel between hosts");
            var sha = await BlobChunks.HashFileAsync(temp, cancel);
            store.Commit(temp, task, sha);
            return new Packed(sha, size, fingerprint);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    // Replaces the directory's content with the archive's, after checking the archive is the one named.
    public static async Task UnpackAsync(string archive, string sha256, string dir, CancellationToken cancel = default)
    {
        var actual = await BlobChunks.HashFileAsync(archive, cancel);
        if (actual != sha256)
            throw new InvalidDataException($"the checkpoint archive hashes to {actual}, not {sha256}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await TarFile.ExtractToDirectoryAsync(file, dir, overwriteFiles: true, cancel);
    }
}
