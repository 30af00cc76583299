using ActorGrid.Protocol.Models;

namespace ActorGrid.Protocol.Inference;

// A tensor on the wire: element type, shape and the raw little-endian bytes (row-major), so a
// camera frame crosses hosts as bytes rather than as a JSON number per pixel.
public sealed record TensorPayload(string Type, IReadOnlyList<long> Shape, byte[] Data);

// Everything a worker needs to load and run one model version, resolved by the gateway.
public sealed record ModelRef(TenantId Tenant, string Name, int Version, string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy);

// A camera frame as the camera sent it (JPEG or PNG bytes) and how the model's config turns it
// into Input: the worker decodes and preprocesses it, so the compressed frame (~0.5 MB for
// 1920×1080) crosses hosts rather than the tensor (4.9 MB at 640×640), and the gateway's cores
// are not spent on pixels.
public sealed record FramePayload(string Input, byte[] Image, ImagePreprocess Preprocess);

// gateway → /user/inference on the chosen worker. BudgetMs is what is left of the caller's SLA
// when the request leaves the gateway; the worker refuses rather than queue past it. Frame, when
// set, is the request's one input, still compressed (Inputs is then empty). Both optional last
// fields are null by default, so the JSON serializer reads messages from hosts that lack them.
public sealed record RunInference(string RequestId, ModelRef Model, IReadOnlyDictionary<string, TensorPayload> Inputs, double BudgetMs, string? TraceParent = null,
    FramePayload? Frame = null) : IActorGridMessage;

// ColdStart: the request arrived while the worker was still loading the model and waited for it.
// PreprocessMs: the worker's decode and preprocessing of the request's frame (part of ComputeMs;
// 0 when it sent tensors).
public sealed record InferenceSucceeded(
    string RequestId, NodeId Node, string Tier, IReadOnlyDictionary<string, TensorPayload> Outputs,
    double QueueMs, double ComputeMs, int BatchSize, bool ColdStart, double PreprocessMs = 0) : IActorGridMessage;

// Kind (RejectionKinds): invalid input, throttled (cannot meet the SLA), unavailable (queue full,
// model not loadable or undeployed here), gone (version deleted), failed (the model failed at
// run time). Reason is a sentence for the caller.
public sealed record InferenceRejected(string RequestId, NodeId Node, string Kind, string Reason) : IActorGridMessage;

// gateway → worker: load a model now so the first request does not pay for it.
public sealed record PreloadModel(ModelRef Model) : IActorGridMessage;
