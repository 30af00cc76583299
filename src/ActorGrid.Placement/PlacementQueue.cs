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

// How the queue orders what waits (actorgrid.placement.queue-discipline).
public enum QueueDiscipline
{
    // LaneQueueComparer: by lane with aging, FIFO within a lane.
    Lanes,
    // ServiceQueueComparer, as the hardware-aware simulator serves its queue: realtime and
    // interactive FIFO; batch and deferrable shortest remaining service first when the task says
    // how long it runs (expectedDurationSeconds), then the others FIFO (2D-LAS's first queue: no
    // attained service is counted live yet); a task waiting past the starvation guard goes first.
    Service,
}

//
// Under QueueDiscipline.Service the same holds with ServiceQueueComparer: each sub-queue (a lane,
// or the starved tasks of every lane) is kept in that comparer's order within it (Key: told
// first, then the least remaining service, then submission), and a task moves to the starved
// sub-queue when the guard's time comes (a time fixed by its demand), at the start of a pass.
public sealed class PlacementQueue<T>(QueueDiscipline discipline = QueueDiscipline.Lanes)
{
    // Band and Service are 0 under QueueDiscipline.Lanes, so the key is submission order there.
    private readonly record struct Key(int Band, double Service, DateTimeOffset SubmittedAt, TaskId TaskId);

    private sealed class KeyOrder : IComparer<Key>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(Key x, Key y)
        {
            var c = x.Band.CompareTo(y.Band);
            if (c != 0) return c;
            c = x.Service.CompareTo(y.Service);
            if (c != 0) return c;
            c = x.SubmittedAt.CompareTo(y.SubmittedAt);
            return c != 0 ? c : string.CompareOrdinal(x.TaskId.Value, y.TaskId.Value);
        }
    }

    private readonly record struct Entry(TaskDemand Demand, T Item, object Group, Key Key, int Queue);

    private readonly Dictionary<TaskId, Entry> _entries = new();
    // Each group's tasks in their key's order (a group is one lane and one service: DemandClass
    // includes both, so within a group that is submission order).
    private readonly Dictionary<object, SortedSet<Key>> _groups = new();
    // One sub-queue per lane, and (QueueDiscipline.Service) a last one for starved tasks.
    private readonly SortedDictionary<Key, TaskId>[] _lanes =
        [.. Enumerable.Range(0, Lanes.All.Count + 1).Select(_ => new SortedDictionary<Key, TaskId>(KeyOrder.Instance))];
    // QueueDiscipline.Service: when each batch or deferrable task not yet starved becomes starved.
    private readonly SortedSet<(DateTimeOffset At, TaskId TaskId)> _starvesAt = new(Comparer<(DateTimeOffset At, TaskId TaskId)>.Create((x, y) =>
    {
        var c = x.At.CompareTo(y.At);
        return c != 0 ? c : string.CompareOrdinal(x.TaskId.Value, y.TaskId.Value);
    }));

    private static int StarvedQueue => Lanes.All.Count;

    public QueueDiscipline Discipline => discipline;

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

    // The order a pass serves in at `now`.
    public IComparer<TaskDemand> OrderAt(DateTimeOffset now, TimeSpan agingStep) => discipline == QueueDiscipline.Service
        ? new ServiceQueueComparer(now, _ => 0)
        : new LaneQueueComparer(now, agingStep);

    // Adds the task, or replaces what is queued for it (a new attempt, a new reason): its place in
    // the order follows the demand given now. `group`: tasks Pass may skip together (null: its own).
    public void Set(TaskDemand demand, T item, object? group = null)
    {
        group ??= demand.TaskId;
        if (_entries.TryGetValue(demand.TaskId, out var old))
        {
            if (SameSlot(old.Demand, demand) && old.Group.Equals(group))
            {
                _entries[demand.TaskId] = old with { Demand = demand, Item = item };
                return;
            }
            Unlink(old);
        }
        var (key, queue) = SlotOf(demand, starved: false);
        Link(new Entry(demand, item, group, key, queue));
        if (StarvesAt(demand) is { } at) _starvesAt.Add((at, demand.TaskId));
    }

    // Replaces what is queued for a task without moving it (a new reason); false if it is not queued.
    public bool Update(TaskId id, T item)
    {
        if (!_entries.TryGetValue(id, out var entry)) return false;
        _entries[id] = entry with { Item = item };
        return true;
    }

    public bool Remove(TaskId id)
    {
        if (!_entries.Remove(id, out var old)) return false;
        Unlink(old);
        return true;
    }

    // One pass in InServiceOrder's order over the groups' heads: `visit` decides each task in its
    // turn and says how to go on. Only a group whose head was taken (Next) is walked further, from
    // a copy made then, so `visit` may change the queue (remove, update) while the pass runs.
    public void Pass(DateTimeOffset now, TimeSpan agingStep, Func<T, PassStep> visit)
    {
        PromoteStarved(now);
        var heads = new PriorityQueue<(SortedSet<Key> Members, Key[]? Copy, int At), TaskDemand>(OrderAt(now, agingStep));
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
            if (_entries.TryGetValue(rest[at].TaskId, out var next) && next.Key == rest[at])
            {
                heads.Enqueue((members, rest, at), next.Demand);
                return;
            }
        }
    }

    private void Link(Entry entry)
    {
        _entries[entry.Demand.TaskId] = entry;
        _lanes[entry.Queue].Add(entry.Key, entry.Demand.TaskId);
        if (!_groups.TryGetValue(entry.Group, out var members)) _groups[entry.Group] = members = new SortedSet<Key>(KeyOrder.Instance);
        members.Add(entry.Key);
    }

    private void Unlink(Entry entry)
    {
        _lanes[entry.Queue].Remove(entry.Key);
        if (StarvesAt(entry.Demand) is { } at) _starvesAt.Remove((at, entry.Demand.TaskId));
        if (!_groups.TryGetValue(entry.Group, out var members)) return;
        members.Remove(entry.Key);
        if (members.Count == 0) _groups.Remove(entry.Group);
    }

    // Moves every task whose starvation guard has come by `now` to the starved sub-queue.
    private void PromoteStarved(DateTimeOffset now)
    {
        while (_starvesAt.Count > 0 && _starvesAt.Min is var (at, id) && at <= now)
        {
            _starvesAt.Remove((at, id));
            if (!_entries.TryGetValue(id, out var entry) || entry.Queue == StarvedQueue) continue;
            Unlink(entry);
            var (key, queue) = SlotOf(entry.Demand, starved: true);
            Link(entry with { Key = key, Queue = queue });
        }
    }

    // Where a demand waits: its sub-queue and its key there (ServiceQueueComparer's key less the
    // lane, which the sub-queue is).
    private (Key Key, int Queue) SlotOf(TaskDemand demand, bool starved)
    {
        if (discipline == QueueDiscipline.Lanes || !ServiceOrdered(demand))
            return (new Key(0, 0, demand.SubmittedAt, demand.TaskId), Lanes.Rank(demand.Lane));
        if (starved) return (new Key(0, 0, demand.SubmittedAt, demand.TaskId), StarvedQueue);
        return demand.ExpectedDuration is not null
            ? (new Key(0, ServiceQueueComparer.RemainingService(demand), demand.SubmittedAt, demand.TaskId), Lanes.Rank(demand.Lane))
            : (new Key(1, 0, demand.SubmittedAt, demand.TaskId), Lanes.Rank(demand.Lane));
    }

    private static bool ServiceOrdered(TaskDemand demand) => demand.Lane is Lanes.Batch or Lanes.Deferrable;

    // ServiceQueueComparer.Starved's time, with no attained service counted (the live queue's).
    private DateTimeOffset? StarvesAt(TaskDemand demand)
    {
        if (discipline != QueueDiscipline.Service || !ServiceOrdered(demand)) return null;
        var wait = ServiceQueueComparer.StarvationWaitS(demand, attainedChipSeconds: 0);
        var left = (DateTimeOffset.MaxValue - demand.SubmittedAt).TotalSeconds;
        return wait >= left ? DateTimeOffset.MaxValue : demand.SubmittedAt + TimeSpan.FromSeconds(wait);
    }

    // Every queued item in the order OrderAt(now, agingStep) would sort them, as a list, so the
    // caller may change the queue while it works through the pass.
    public List<T> InServiceOrder(DateTimeOffset now, TimeSpan agingStep)
    {
        PromoteStarved(now);
        var order = OrderAt(now, agingStep);
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

    private static bool SameSlot(TaskDemand a, TaskDemand b) =>
        Lanes.Rank(a.Lane) == Lanes.Rank(b.Lane) && a.SubmittedAt == b.SubmittedAt
        && a.ExpectedDuration == b.ExpectedDuration && (a.Chips?.Count ?? 0) == (b.Chips?.Count ?? 0);
}
