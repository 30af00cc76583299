namespace ActorGrid.Protocol.Tasks;

// A task's checkpoint directory packed into one tar archive, named by the SHA-256 of its bytes.
// Holders are the actor paths of checkpoint servers that keep a copy (the worker that packed it
// first, then any durable host it was copied to); a new worker tries them in order.
public sealed record CheckpointRef(string Sha256, long SizeBytes, IReadOnlyList<string> Holders, DateTimeOffset PackedAt)
{
    public CheckpointRef WithHolder(string holder) =>
        Holders.Contains(holder) ? this : this with { Holders = [.. Holders, holder] };

    // Records compare lists by reference; two refs are the same when their fields and holders are.
    public bool Equals(CheckpointRef? other) =>
        other is not null && Sha256 == other.Sha256 && SizeBytes == other.SizeBytes && PackedAt == other.PackedAt && Holders.SequenceEqual(other.Holders);

    public override int GetHashCode() => HashCode.Combine(Sha256, SizeBytes, PackedAt);
}
