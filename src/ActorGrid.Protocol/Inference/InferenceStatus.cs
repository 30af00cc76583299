using Akka.Actor;

namespace ActorGrid.Protocol.Inference;

// What each worker's inference host publishes on InferenceTopics.Status, a few times a second:
// the models it holds and how busy each is. Gateways route on it and send requests straight to
// Executor, the worker's /user/inference.
public sealed record InferenceHostStatus(
    NodeId Node, string Member, IActorRef Executor, string Tier, string Site, string Zone,
    IReadOnlyList<ModelRunnerStatus> Models, int MaxQueuePerModel, DateTimeOffset At) : IActorGridMessage;

// State is one of ModelRunnerStates. BatchMs is the recent average time of one batch run;
// P95LatencyMs and P99LatencyMs the recent queue+compute time seen by requests on this worker
// (over its last requests; 0 before the first). Provider is the execution provider the session
// runs on (cpu, or cuda:<device>) and IntraOpThreads its ONNX Runtime thread count, once loaded.
public sealed record ModelRunnerStatus(
    string Sha256, string State, int Queued, int Running, double BatchMs, double P95LatencyMs, int MaxBatch, double P99LatencyMs = 0,
    string? Provider = null, int IntraOpThreads = 0);

// Loading: fetching, opening and warming the session (requests queue as cold starts); ready:
// serving; failed: could not load, refusing until it retires and a later request retries.
public static class ModelRunnerStates
{
    public const string Loading = "loading";
    public const string Ready = "ready";
    public const string Failed = "failed";
}

public static class InferenceTopics
{
    public const string Status = "inference-status";
    public const string Deployments = "inference-deployments";
}
