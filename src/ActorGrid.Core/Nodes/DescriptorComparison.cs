using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Core.Nodes;

// Value equality for node descriptors. Record equality compares the lists inside (chips,
// labels, green profile) by reference, and a descriptor that crossed the wire is always a new
// list, so every remote heartbeat would look like a re-registration and be persisted again.
public static class DescriptorComparison
{
    public static bool SameAs(this NodeDescriptor? a, NodeDescriptor? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        return a with { Chips = [], Labels = Empty, GreenShareByHour = null } == b with { Chips = [], Labels = Empty, GreenShareByHour = null }
            && a.Chips.Count == b.Chips.Count && Enumerable.Range(0, a.Chips.Count).All(i => a.Chips[i].SameAs(b.Chips[i]))
            && a.Labels.Count == b.Labels.Count && a.Labels.All(l => b.Labels.TryGetValue(l.Key, out var v) && v == l.Value)
            && (a.GreenShareByHour ?? []).SequenceEqual(b.GreenShareByHour ?? []);
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
