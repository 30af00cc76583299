namespace ActorGrid.Worker.Sandbox;

// Host uids for live attempts: each live attempt gets one no other live attempt holds, so two
// tenants' attempts on one host can never read each other's files or signal each other's processes.
// Owned by the worker agent (single-threaded); pure bookkeeping.
public sealed class UidPool(int start, int size)
{
    private readonly HashSet<int> _taken = [];
    private int _next;

    public int? Take()
    {
        if (_taken.Count >= size) return null;
        // Round-robin, so a uid just released is the last to be handed out again.
        while (true)
        {
            var uid = start + _next;
            _next = (_next + 1) % size;
            if (_taken.Add(uid)) return uid;
        }
    }

    public void Release(int uid) => _taken.Remove(uid);

    public int InUse => _taken.Count;
}
