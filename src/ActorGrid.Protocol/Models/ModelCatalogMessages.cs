namespace ActorGrid.Protocol.Models;

// models/<tenant>: one persistent catalog per tenant holding every version of every model it
// uploaded. Keyed by tenant so listing is one entity and tenants can never see each other's.
public interface IWithModelOwner : IActorGridMessage
{
    TenantId TenantId { get; }
}

// Commands. StoredBy is the cluster address of the host whose blob store holds the bytes, so a
// worker elsewhere knows whom to fetch them from.
// Lineage: set when a training task produced the bytes (see ModelLineage); null for uploads.
// Config (images in) is optional and defaults to null, so events journalled before it existed still read.
public sealed record RegisterModelVersion(TenantId TenantId, string Name, string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy,
    ModelLineage? Lineage = null, ModelConfig? Config = null) : IWithModelOwner;

public sealed record DeleteModelVersion(TenantId TenantId, string Name, int Version) : IWithModelOwner;

// Queries. A null version means the latest one.
public sealed record GetModelCatalog(TenantId TenantId) : IWithModelOwner;

public sealed record GetModelVersion(TenantId TenantId, string Name, int? Version) : IWithModelOwner;

// Events.
public interface IModelCatalogEvent : IActorGridMessage
{
    TenantId TenantId { get; }
    DateTimeOffset At { get; }
}

public sealed record ModelVersionRegistered(
    TenantId TenantId, string Name, int Version, string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy, DateTimeOffset At,
    ModelLineage? Lineage = null, ModelConfig? Config = null) : IModelCatalogEvent;

public sealed record ModelVersionDeleted(TenantId TenantId, string Name, int Version, DateTimeOffset At) : IModelCatalogEvent;

// Replies and state.
public sealed record ModelVersionView(
    TenantId TenantId, string Name, int Version, string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy, DateTimeOffset RegisteredAt,
    ModelLineage? Lineage = null, ModelConfig? Config = null) : IActorGridMessage;

// Created is false when the same bytes were already the latest version of that name.
public sealed record ModelVersionAccepted(ModelVersionView Model, bool Created) : IActorGridMessage;

public sealed record ModelCatalogView(TenantId TenantId, IReadOnlyList<ModelVersionView> Versions) : IActorGridMessage;

public sealed record ModelVersionNotFound(TenantId TenantId, string Name, int? Version) : IActorGridMessage;

public sealed record ModelVersionRemoved(TenantId TenantId, string Name, int Version) : IActorGridMessage;

public sealed record ModelCatalogSnapshot(TenantId TenantId, IReadOnlyList<ModelVersionView> Versions, IReadOnlyDictionary<string, int> LastVersions) : IActorGridMessage;
