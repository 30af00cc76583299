using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// The tasks waiting for placement, kept in service order without sorting on every event: one
// FIFO per lane (by submission time, then id), merged by their heads. Within a lane, an earlier
// submission has waited longer, so aging never lifts a later task above an earlier one of the
// same lane: each lane's FIFO is already in LaneQueueComparer's order, and merging the lanes'
// heads by that comparer gives exactly the order a full sort would (LaneQueueSpecs checks it).
// Adding, replacing and removing cost O(log n); a pass over the queue costs O(n), not O(n log n).
public sealed class PlacementQueue<T>
{
    private readonly record struct Key(DateTimeOffset SubmittedAt, string TaskId);

    private sealed class KeyOrder : IComparer<Key>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(Key x, Key y)
        {
            var bySubmit = x.SubmittedAt.CompareTo(y.SubmittedAt);
            return bySubmit != 0 ? bySubmit : string.CompareOrdinal(x.TaskId, y.TaskId);
        }
    }

    private readonly Dictionary<TaskId, (TaskDemand Demand, T Item)> _entries = new();
    private readonly SortedDictionary<Key, TaskId>[] _lanes =
        [.. Enumerable.Range(0, Lanes.All.Count).Select(_ => new SortedDictionary<Key, TaskId>(KeyOrder.Instance))];

    public int Count => _entries.Count;

    public IEnumerable<TaskId> Ids => _entries.Keys;

    public bool Contains(TaskId id) => _entries.ContainsKey(id);

    public bool TryGet(TaskId id, out T item)
    {
        if (_entries.TryGetValue(id, out var entry))
        {
            item = entry.Item;
            return true;
        }
        item = default!;
        return false;
    }

    // Adds the task, or replaces what is queued for it (a new attempt, a new reason): its place in
    // the order follows the demand given now.
    public void Set(TaskDemand demand, T item)
    {
        if (_entries.TryGetValue(demand.TaskId, out var old))
        {
            if (SameSlot(old.Demand, demand))
            {
                _entries[demand.TaskId] = (demand, item);
                return;
            }
            LaneOf(old.Demand).Remove(KeyOf(old.Demand));
        }
        _entries[demand.TaskId] = (demand, item);
        LaneOf(demand).Add(KeyOf(demand), demand.TaskId);
    }

    // Replaces what is queued for a task without moving it (a new reason); false if it is not queued.
    public bool Update(TaskId id, T item)
    {
        if (!_entries.TryGetValue(id, out var entry)) return false;
        _entries[id] = (entry.Demand, item);
        return true;
    }

    public bool Remove(TaskId id)
    {
        if (!_entries.Remove(id, out var old)) return false;
        LaneOf(old.Demand).Remove(KeyOf(old.Demand));
        return true;
    }

    // Every queued item in the order LaneQueueComparer(now, agingStep) would sort them, as a list,
    // so the caller may change the queue while it works through the pass.
    public List<T> InServiceOrder(DateTimeOffset now, TimeSpan agingStep)
    {
        var order = new LaneQueueComparer(now, agingStep);
        var result = new List<T>(_entries.Count);
        var heads = new IEnumerator<KeyValuePair<Key, TaskId>>?[_lanes.Length];
        for (var lane = 0; lane < _lanes.Length; lane++)
        {
            var cursor = _lanes[lane].GetEnumerator();
            heads[lane] = cursor.MoveNext() ? cursor : null;
        }
        while (true)
        {
            var best = -1;
            TaskDemand? bestDemand = null;
            for (var lane = 0; lane < heads.Length; lane++)
            {
                if (heads[lane] is not { } head) continue;
                var demand = _entries[head.Current.Value].Demand;
                if (bestDemand is null || order.Compare(demand, bestDemand) < 0)
                {
                    best = lane;
                    bestDemand = demand;
                }
            }
            if (best < 0) return result;
            result.Add(_entries[bestDemand!.TaskId].Item);
            if (!heads[best]!.MoveNext()) heads[best] = null;
        }
    }

    private SortedDictionary<Key, TaskId> LaneOf(TaskDemand demand) => _lanes[Lanes.Rank(demand.Lane)];

    private static Key KeyOf(TaskDemand demand) => new(demand.SubmittedAt, demand.TaskId.Value);

    private static bool SameSlot(TaskDemand a, TaskDemand b) =>
        Lanes.Rank(a.Lane) == Lanes.Rank(b.Lane) && a.SubmittedAt == b.SubmittedAt;
}
