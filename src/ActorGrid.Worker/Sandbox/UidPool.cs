namespace ActorGrid.Worker.Sandbox;

// Host uids for live attempts: each live attempt gets one no other live attempt holds, so two
// tenants' attempts on one host can never read each other's files or signal each other's processes.
// Owned by the worker agent (single-threaded). With a lock directory, a uid is also claimed for
// the whole machine by an exclusive lock on <dir>/<uid>.lock, so two worker processes on one
// machine (as in tests, or two nodes on one box) never hand the same uid out at once; the kernel
// drops the lock when its holder dies, with its attempts.
public sealed class UidPool(int start, int size, string? lockDirectory = null)
{
    private readonly Dictionary<int, FileStream?> _taken = [];
    private int _next;
    private bool _lockDirectoryMade;

    public int? Take()
    {
        if (lockDirectory is not null && !_lockDirectoryMade) _lockDirectoryMade = Directory.CreateDirectory(lockDirectory).Exists;
        // Round-robin, so a uid just released is the last to be handed out again.
        for (var tried = 0; tried < size && _taken.Count < size; tried++)
        {
            var uid = start + _next;
            _next = (_next + 1) % size;
            if (_taken.ContainsKey(uid)) continue;
            if (lockDirectory is null)
            {
                _taken[uid] = null;
                return uid;
            }
            try
            {
                _taken[uid] = new FileStream(Path.Combine(lockDirectory, $"{uid}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return uid;
            }
            catch (IOException)
            {
                // Another worker process on this machine holds it.
            }
        }
        return null;
    }

    public void Release(int uid)
    {
        if (_taken.Remove(uid, out var held)) held?.Dispose();
    }

    public int InUse => _taken.Count;
}
