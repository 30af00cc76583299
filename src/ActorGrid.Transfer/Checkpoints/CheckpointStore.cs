using ActorGrid.Protocol;
using ActorGrid.Transfer.Blobs;

namespace ActorGrid.Transfer.Checkpoints;

// Packed checkpoints on disk, per task and content-addressed: <root>/<task>/<sha256>.tar. Only the
// newest of a task is kept: a task resumes from its latest checkpoint, never an older one. A file
// appears under its name only by an atomic move after its hash was computed or checked, so a
// present file is complete. Workers keep what they packed or fetched here; durable hosts keep copies.
public sealed class CheckpointStore
{
    public CheckpointStore(string root)
    {
        Root = root;
        Incoming = Path.Combine(root, ".incoming");
        Directory.CreateDirectory(Incoming);
    }

    public string Root { get; }

    private string Incoming { get; }

    public string PathOf(TaskId task, string sha256) =>
        IdRules.IsValid(task.Value) && BlobChunks.IsSha256(sha256)
            ? Path.Combine(Root, task.Value, sha256 + ".tar")
            : throw new ArgumentException($"'{task}' / '{sha256}' is not a task id and a lower-case hex SHA-256.");

    public bool Has(TaskId task, string sha256) =>
        IdRules.IsValid(task.Value) && BlobChunks.IsSha256(sha256) && File.Exists(PathOf(task, sha256));

    public string NewTempFile() => Path.Combine(Incoming, Guid.NewGuid().ToString("n") + ".part");

    // Moves a complete temp file into place and drops the task's older archives.
    public string Commit(string tempFile, TaskId task, string sha256)
    {
        var target = PathOf(task, sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(tempFile, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(tempFile); // the same bytes were stored meanwhile
        }
        foreach (var older in Directory.EnumerateFiles(Path.GetDirectoryName(target)!, "*.tar").Where(f => f != target))
            File.Delete(older);
        return target;
    }

    public void Forget(TaskId task)
    {
        if (!IdRules.IsValid(task.Value)) return;
        var dir = Path.Combine(Root, task.Value);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
