using ActorGrid.Protocol.Models;

namespace ActorGrid.Protocol.Inference;

// A tensor on the wire: element type, shape and the raw little-endian bytes (row-major), so a
// camera frame crosses hosts as bytes rather than as a JSON number per pixel.
public sealed record TensorPayload(string Type, IReadOnlyList<long> Shape, byte[] Data);

// Everything a worker needs to load and run one model version, resolved by the gateway.
public sealed record ModelRef(TenantId Tenant, string Name, int Version, string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy);

// gateway → /user/inference on the chosen worker. BudgetMs is what is left of the caller's SLA
// when the request leaves the gateway; the worker refuses rather than queue past it.
public sealed record RunInference(string RequestId, ModelRef Model, IReadOnlyDictionary<string, TensorPayload> Inputs, double BudgetMs, string? TraceParent = null) : IActorGridMessage;

// ColdStart: the request arrived while the worker was still loading the model and waited for it.
public sealed record InferenceSucceeded(
    string RequestId, NodeId Node, string Tier, IReadOnlyDictionary<string, TensorPayload> Outputs,
    double QueueMs, double ComputeMs, int BatchSize, bool ColdStart) : IActorGridMessage;

// Kind (RejectionKinds): invalid input, throttled (cannot meet the SLA), unavailable (queue full,
// model not loadable or undeployed here), gone (version deleted), failed (the model failed at
// run time). Reason is a sentence for the caller.
public sealed record InferenceRejected(string RequestId, NodeId Node, string Kind, string Reason) : IActorGridMessage;

// gateway → worker: load a model now so the first request does not pay for it.
public sealed record PreloadModel(ModelRef Model) : IActorGridMessage;
