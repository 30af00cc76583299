using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Protocol.Workers;

// Between checkpoint servers (/user/worker/checkpoints on workers, /user/checkpoints on durable
// hosts) and the workers that restore or copy a task's packed checkpoint. The bytes travel in
// chunks small enough for one remoting frame; the receiver checks the SHA-256 of the whole.
public sealed record FetchCheckpoint(TaskId TaskId, string Sha256, long Offset, int MaxBytes) : IActorGridMessage;

public sealed record CheckpointChunk(TaskId TaskId, string Sha256, long Offset, long TotalBytes, byte[] Data) : IActorGridMessage;

public sealed record CheckpointMissing(TaskId TaskId, string Sha256, string Reason) : IActorGridMessage;

// worker → a durable host's checkpoint server: fetch this checkpoint from its holders and keep it,
// so it outlives the worker. Answered with CheckpointCopied (Holder: the copy's path) or CheckpointCopyFailed.
public sealed record CopyCheckpoint(TaskId TaskId, int Attempt, CheckpointRef Checkpoint) : IActorGridMessage;

public sealed record CheckpointCopied(TaskId TaskId, int Attempt, string Sha256, string Holder) : IActorGridMessage;

public sealed record CheckpointCopyFailed(TaskId TaskId, int Attempt, string Sha256, string Reason) : IActorGridMessage;

// task/<id> → every holder of its checkpoints once it succeeded or was cancelled: nothing will
// resume from them again.
public sealed record ForgetCheckpoints(TaskId TaskId) : IActorGridMessage;
