namespace ActorGrid.Protocol.Models;

// Where a model version came from when a training task produced it: the task and attempt, the
// metrics it last reported, the checkpoint it ended with and the bundle it ran. Null for uploads.
public sealed record ModelLineage(TaskId Task, int Attempt, IReadOnlyDictionary<string, double> Metrics, string? CheckpointSha256, string? Bundle);

// worker → /user/model-blobs on a gateway: fetch this blob from the worker's own model blob server
// (Holder, an actor path) with the chunked download and keep it. Answered with ModelBlobCopied
// (StoredBy: the gateway's cluster address, what a ModelRef names) or ModelBlobCopyFailed.
public sealed record CopyModelBlob(string Sha256, long SizeBytes, string Holder) : IActorGridMessage;

public sealed record ModelBlobCopied(string Sha256, string StoredBy) : IActorGridMessage;

public sealed record ModelBlobCopyFailed(string Sha256, string Reason) : IActorGridMessage;
