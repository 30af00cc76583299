namespace ActorGrid.Worker.Inference;

// The dynamic batcher's queue, as plain logic (no actor, no clock of its own), in the manner
// of Triton's dynamic batcher: requests wait at most MaxDelay for company; a batch is the
// oldest request plus the following ones whose non-batch dimensions match it, up to MaxRows
// rows in total. Order within a batch is arrival order.
public sealed class MicroBatchQueue<T>(int maxRows, TimeSpan maxDelay)
{
    public sealed record Entry(T Item, long Rows, string GroupKey, TimeSpan ArrivedAt, TimeSpan Deadline);

    private readonly LinkedList<Entry> _pending = new();

    public int Count => _pending.Count;

    public long Rows { get; private set; }

    public int MaxRows => maxRows;

    public TimeSpan MaxDelay => maxDelay;

    public void Enqueue(Entry entry)
    {
        _pending.AddLast(entry);
        Rows += entry.Rows;
    }

    // When the head may go: now if a full batch is waiting, else when its delay runs out.
    public TimeSpan? ReadyAt()
    {
        if (_pending.First is not { } head) return null;
        long rows = 0;
        foreach (var e in _pending)
        {
            if (e.GroupKey != head.Value.GroupKey) continue;
            rows += e.Rows;
            if (rows >= maxRows) return TimeSpan.Zero;
        }
        return head.Value.ArrivedAt + maxDelay;
    }

    // Removes and returns the next batch. A single request larger than MaxRows still goes,
    // alone: refusing it would make large inputs impossible rather than merely unbatched.
    public IReadOnlyList<Entry> TakeBatch()
    {
        var batch = new List<Entry>();
        if (_pending.First is not { } node) return batch;
        var key = node.Value.GroupKey;
        long rows = 0;
        while (node is not null)
        {
            var next = node.Next;
            if (node.Value.GroupKey == key)
            {
                if (batch.Count > 0 && rows + node.Value.Rows > maxRows) break;
                batch.Add(node.Value);
                rows += node.Value.Rows;
                _pending.Remove(node);
                Rows -= node.Value.Rows;
                if (rows >= maxRows) break;
            }
            node = next;
        }
        return batch;
    }

    public IReadOnlyList<Entry> TakeAll()
    {
        var all = _pending.ToList();
        _pending.Clear();
        Rows = 0;
        return all;
    }

    // Removes requests whose deadline has passed: running them would only produce late answers.
    public IReadOnlyList<Entry> TakeExpired(TimeSpan now)
    {
        var expired = new List<Entry>();
        var node = _pending.First;
        while (node is not null)
        {
            var next = node.Next;
            if (node.Value.Deadline < now)
            {
                expired.Add(node.Value);
                _pending.Remove(node);
                Rows -= node.Value.Rows;
            }
            node = next;
        }
        return expired;
    }

    // Expected wait for a request arriving now with `rows` rows: the batches queued ahead of it
    // (plus one running), each taking batchMs, and the batching delay itself.
    public double PredictWaitMs(long rows, bool running, double batchMs)
    {
        var batchesAhead = Math.Ceiling((double)(Rows + rows) / maxRows) - 1 + (running ? 1 : 0);
        return Math.Max(0, batchesAhead) * batchMs + batchMs + (Rows + rows < maxRows ? maxDelay.TotalMilliseconds : 0);
    }
}
