namespace ActorGrid.Protocol.Bundles;

// A tenant's code and data as one content-addressed tar (or tar.gz), as a task carries it: the
// gateway that accepted the task fills it in from its own store, so the worker knows what to
// fetch, how many bytes to expect and from which host (StoredBy is that gateway's cluster address).
public sealed record BundleRef(string Sha256, long SizeBytes, string StoredBy);

// worker host → /user/bundles on the gateway that stored a bundle: the bytes in chunks small
// enough for one remoting frame. The worker checks the SHA-256 of the whole before using it.
public sealed record FetchBundle(string Sha256, long Offset, int MaxBytes) : IActorGridMessage;

public sealed record BundleChunk(string Sha256, long Offset, long TotalBytes, byte[] Data) : IActorGridMessage;

public sealed record BundleMissing(string Sha256, string Reason) : IActorGridMessage;
