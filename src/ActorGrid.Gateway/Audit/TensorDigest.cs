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
