using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// The tasks waiting for placement, kept in service order without sorting on every event: one
// FIFO per lane (by submission time, then id), merged by their heads. Within a lane, an earlier
// submission has waited longer, so aging never lifts a later task above an earlier one of the
// same lane: each lane's FIFO is already in LaneQueueComparer's order, and merging the lanes'
// heads by that comparer gives exactly the order a full sort would (LaneQueueSpecs checks it).
// Adding, replacing and removing cost O(log n); a pass over the queue costs O(n), not O(n log n).
//
// Tasks can also be grouped (Set's `group`: demands no node can tell apart, DemandClass): Pass
// then serves the groups' heads in the same order and skips the rest of a group once its head
// is refused, so a pass over 100,000 identical waiting tasks costs one decision and no walk.
public enum PassStep
{
    // Go on with the next task of this group, in its turn.
    Next,
    // This group's head found no room: none of the group would; skip the rest of it this pass.
    SkipGroup,
    // End the pass here.
    Stop,
}

public sealed class PlacementQueue<T>
{
    private readonly record struct Key(DateTimeOffset SubmittedAt, TaskId TaskId);

    private sealed class KeyOrder : IComparer<Key>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(Key x, Key y)
        {
            var bySubmit = x.SubmittedAt.CompareTo(y.SubmittedAt);
            return bySubmit != 0 ? bySubmit : string.CompareOrdinal(x.TaskId.Value, y.TaskId.Value);
        }
    }

    private readonly Dictionary<TaskId, (TaskDemand Demand, T Item, object Group)> _entries = new();
    // Each group's tasks in submission order (a group is one lane: DemandClass includes it).
    private readonly Dictionary<object, SortedSet<Key>> _groups = new();
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
    // the order follows the demand given now. `group`: tasks Pass may skip together (null: its own).
    public void Set(TaskDemand demand, T item, object? group = null)
    {
        group ??= demand.TaskId;
        if (_entries.TryGetValue(demand.TaskId, out var old))
        {
            if (SameSlot(old.Demand, demand) && old.Group.Equals(group))
            {
                _entries[demand.TaskId] = (demand, item, old.Group);
                return;
            }
            Unlink(old.Demand, old.Group);
        }
        _entries[demand.TaskId] = (demand, item, group);
        LaneOf(demand).Add(KeyOf(demand), demand.TaskId);
        if (!_groups.TryGetValue(group, out var members)) _groups[group] = members = new SortedSet<Key>(KeyOrder.Instance);
        members.Add(KeyOf(demand));
    }

    // Replaces what is queued for a task without moving it (a new reason); false if it is not queued.
    public bool Update(TaskId id, T item)
    {
        if (!_entries.TryGetValue(id, out var entry)) return false;
        _entries[id] = (entry.Demand, item, entry.Group);
        return true;
    }

    public bool Remove(TaskId id)
    {
        if (!_entries.Remove(id, out var old)) return false;
        Unlink(old.Demand, old.Group);
        return true;
    }

    // One pass in InServiceOrder's order over the groups' heads: `visit` decides each task in its
    // turn and says how to go on. Only a group whose head was taken (Next) is walked further, from
    // a copy made then, so `visit` may change the queue (remove, update) while the pass runs.
    public void Pass(DateTimeOffset now, TimeSpan agingStep, Func<T, PassStep> visit)
    {
        var heads = new PriorityQueue<(SortedSet<Key> Members, Key[]? Copy, int At), TaskDemand>(new LaneQueueComparer(now, agingStep));
        foreach (var members in _groups.Values) heads.Enqueue((members, null, 0), _entries[members.Min.TaskId].Demand);
        while (heads.TryDequeue(out var head, out var demand))
        {
            // Removed or replaced by an earlier visit: go on with what follows it in its group.
            if (!_entries.TryGetValue(demand.TaskId, out var entry) || !ReferenceEquals(entry.Demand, demand))
            {
                Follow(heads, head.Members, head.Copy, head.At, demand.TaskId);
                continue;
            }
            switch (visit(entry.Item))
            {
                case PassStep.Stop:
                    return;
                case PassStep.Next:
                    Follow(heads, head.Members, head.Copy, head.At, demand.TaskId);
                    break;
            }
        }
    }

    // Queues the group's next task still queued after the one just dealt with (`done`, at
    // position `at` of the group's copy; the copy is taken now, the first time the group goes past
    // its head, and then starts after `done` if `done` is still its head).
    private void Follow(PriorityQueue<(SortedSet<Key>, Key[]?, int), TaskDemand> heads, SortedSet<Key> members, Key[]? rest, int at, TaskId done)
    {
        if (rest is null)
        {
            if (members.Count == 0) return;
            rest = [.. members];
            at = rest[0].TaskId == done ? 1 : 0;
        }
        else at++;
        for (; at < rest.Length; at++)
        {
            if (_entries.TryGetValue(rest[at].TaskId, out var next) && KeyOf(next.Demand) == rest[at])
            {
                heads.Enqueue((members, rest, at), next.Demand);
                return;
            }
        }
    }

    private void Unlink(TaskDemand demand, object group)
    {
        LaneOf(demand).Remove(KeyOf(demand));
        if (!_groups.TryGetValue(group, out var members)) return;
        members.Remove(KeyOf(demand));
        if (members.Count == 0) _groups.Remove(group);
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

    private static Key KeyOf(TaskDemand demand) => new(demand.SubmittedAt, demand.TaskId);

    private static bool SameSlot(TaskDemand a, TaskDemand b) =>
        Lanes.Rank(a.Lane) == Lanes.Rank(b.Lane) && a.SubmittedAt == b.SubmittedAt;
}
