using System.Security.Cryptography;
using System.Text;
using ActorGrid.Protocol.Inference;

namespace ActorGrid.Gateway.Audit;

// The SHA-256 an audit record keeps of a request's inputs or a reply's outputs: over each tensor
// in name order, its name, type, shape and raw bytes. The same tensors always give the same
// digest whether they arrived as JSON or binary.
public static class TensorDigest
{
    // A camera frame is recorded as the file the client sent (its JPEG or PNG bytes), which is
    // what a lab holds and can hash again; the tensor is derived from it by the version's config.
    public static string OfFrame(byte[] image) => Convert.ToHexString(SHA256.HashData(image)).ToLowerInvariant();

    // Inputs of this many bytes or more are hashed on the thread pool, beside the routing and the
    // worker's compute (a 640×640 float frame is 4.9 MB, ~2.5 ms of SHA-256 on an idle core): the
    // digest is needed only for the audit record, once the answer is in. Smaller ones inline,
    // where the hop would cost more than the hash.
    public const int HashAsideBytes = 256 * 1024;

    // The digest of a request's input: the frame's file when it sent one, else its tensors.
    public static Task<string> StartOf(byte[]? image, IReadOnlyDictionary<string, TensorPayload> tensors)
    {
        string Digest() => image is not null ? OfFrame(image) : Of(tensors);
        var bytes = image?.LongLength ?? tensors.Values.Sum(t => t.Data.LongLength);
        return bytes < HashAsideBytes ? Task.FromResult(Digest()) : Task.Run(Digest);
    }

    public static string Of(IReadOnlyDictionary<string, TensorPayload> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var t = tensors[name];
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}\0{t.Type}\0{string.Join(",", t.Shape)}\0"));
            hash.AppendData(t.Data);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
