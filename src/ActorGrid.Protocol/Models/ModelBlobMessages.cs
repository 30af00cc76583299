namespace ActorGrid.Protocol.Models;

// worker host → /user/model-blobs on the host that stored a model: the bytes in chunks small
// enough for one remoting frame. The worker checks the SHA-256 of the whole before using it.
public sealed record FetchModelBlob(string Sha256, long Offset, int MaxBytes) : IActorGridMessage;

public sealed record ModelBlobChunk(string Sha256, long Offset, long TotalBytes, byte[] Data) : IActorGridMessage;

public sealed record ModelBlobMissing(string Sha256, string Reason) : IActorGridMessage;
