using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;

namespace ActorGrid.Core.Persistence;

// actorgrid.persistence.snapshot-every in HOCON: a snapshot every N events, per entity kind. The
// defaults are the values each entity had before they shared PersistentEntity; a kind not listed
// (or a value below 1) takes DefaultEvery.
public sealed record SnapshotSettings(int Every)
{
    public const int DefaultEvery = 100;

    private static readonly IReadOnlyDictionary<string, int> Defaults = new Dictionary<string, int>
    {
        ["task"] = 50,
        ["node"] = 100,
        ["tenant"] = 200,
        ["model-catalog"] = 100,
        ["model-deployments"] = 100,
    };

    // Read once per actor system and kind: every new entity asks (a task entity per submission),
    // and a lookup in the merged HOCON allocates far more than the entity's own start.
    private static readonly ConditionalWeakTable<ActorSystem, ConcurrentDictionary<string, SnapshotSettings>> PerSystem = new();

    public static SnapshotSettings For(ActorSystem system, string kind) =>
        PerSystem.GetValue(system, _ => new()).GetOrAdd(kind, k => Read(system, k));

    private static SnapshotSettings Read(ActorSystem system, string kind)
    {
        var fallback = Defaults.GetValueOrDefault(kind, DefaultEvery);
        var configured = system.Settings.Config.GetInt("actorgrid.persistence.snapshot-every." + kind, fallback);
        return new(configured >= 1 ? configured : fallback);
    }

    // Whether a write of `written` events that ended at `lastSequenceNr` crossed a multiple of
    // Every: a batch of several events cannot step over the snapshot point unnoticed.
    public bool IsDue(long lastSequenceNr, int written) => lastSequenceNr / Every > (lastSequenceNr - written) / Every;
}
