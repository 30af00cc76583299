using System.Collections.Immutable;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;

namespace ActorGrid.Core.Models;

// models/<tenant> as pure functions. Versions count up per name and are never reused, even
// after a delete, so name@3 always means the same bytes for an audit record that cites it.
public sealed record ModelCatalogState(TenantId TenantId, ImmutableList<ModelVersionView> Versions, ImmutableDictionary<string, int> LastVersions)
{
    public static ModelCatalogState Empty(TenantId tenant) => new(tenant, [], ImmutableDictionary<string, int>.Empty);

    public ModelVersionView? Find(string name, int? version) =>
        version is { } v
            ? Versions.FirstOrDefault(m => m.Name == name && m.Version == v)
            : Versions.Where(m => m.Name == name).MaxBy(m => m.Version);

    // The same bytes with the same config uploaded again as the latest version are the same
    // version: no new event. A new config for the same bytes is a new version, so name@3 keeps
    // meaning one way of reading a frame.
    public (IReadOnlyList<IModelCatalogEvent> Events, ModelVersionView? Existing) DecideRegister(RegisterModelVersion cmd, DateTimeOffset now)
    {
        if (Find(cmd.Name, null) is { } latest && latest.Sha256 == cmd.Sha256 && SameConfig(latest.Config, cmd.Config)) return ([], latest);
        var version = LastVersions.GetValueOrDefault(cmd.Name) + 1;
        return ([new ModelVersionRegistered(TenantId, cmd.Name, version, cmd.Sha256, cmd.SizeBytes, cmd.Signature, cmd.StoredBy, now, cmd.Lineage, cmd.Config)], null);
    }

    public IReadOnlyList<IModelCatalogEvent> DecideDelete(DeleteModelVersion cmd, DateTimeOffset now) =>
        Find(cmd.Name, cmd.Version) is null ? [] : [new ModelVersionDeleted(TenantId, cmd.Name, cmd.Version, now)];

    public ModelCatalogState Apply(IModelCatalogEvent evt) => evt switch
    {
        ModelVersionRegistered e => this with
        {
            Versions = Versions.Add(new ModelVersionView(e.TenantId, e.Name, e.Version, e.Sha256, e.SizeBytes, e.Signature, e.StoredBy, e.At, e.Lineage, e.Config)),
            LastVersions = LastVersions.SetItem(e.Name, Math.Max(e.Version, LastVersions.GetValueOrDefault(e.Name))),
        },
        ModelVersionDeleted e => this with { Versions = Versions.RemoveAll(m => m.Name == e.Name && m.Version == e.Version) },
        _ => this,
    };

    // Records compare lists by reference; a config is the same when its JSON is.
    private static bool SameConfig(ModelConfig? a, ModelConfig? b) =>
        a is null || b is null ? a is null && b is null
            : System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    public ModelCatalogView ToView() => new(TenantId, [.. Versions.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Version)]);

    public ModelCatalogSnapshot ToSnapshot() => new(TenantId, Versions, LastVersions);

    public static ModelCatalogState FromSnapshot(ModelCatalogSnapshot s) => new(s.TenantId, [.. s.Versions], s.LastVersions.ToImmutableDictionary());
}
