using System.Security.Cryptography;
using System.Text;
using ActorGrid.Gateway.Audit;
using ActorGrid.Protocol.Inference;

namespace ActorGrid.Gateway.Tests.Audit;

// The audit's input digest, whether hashed inline (small inputs) or beside the compute (large ones).
public class TensorDigestSpecs
{
    private static TensorPayload Floats(int count, int seed)
    {
        var data = new byte[count * sizeof(float)];
        new Random(seed).NextBytes(data);
        return new TensorPayload("float32", [1, count], data);
    }

    // name \0 type \0 shape \0 bytes, per tensor in name order: computed here without TensorDigest.
    private static string Expected(IReadOnlyDictionary<string, TensorPayload> tensors)
    {
        var all = new List<byte>();
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            all.AddRange(Encoding.UTF8.GetBytes($"{name}\0{t.Type}\0{string.Join(",", t.Shape)}\0"));
            all.AddRange(t.Data);
        }
        return Convert.ToHexString(SHA256.HashData(all.ToArray())).ToLowerInvariant();
    }

    [Fact]
    public async Task Should_give_the_same_digest_inline_for_a_small_input_and_aside_for_a_640_frame_tensor()
    {
        var small = new Dictionary<string, TensorPayload> { ["x"] = Floats(27_648, 1) }; // 1×3×48×192
        var large = new Dictionary<string, TensorPayload> { ["x"] = Floats(3 * 640 * 640, 2), ["scale"] = Floats(1, 3) };

        var inline = TensorDigest.StartOf(null, small);
        Assert.True(inline.IsCompleted); // no thread-pool hop for 110 KB
        Assert.Equal(Expected(small), await inline);
        Assert.Equal(Expected(large), await TensorDigest.StartOf(null, large));
        Assert.Equal(TensorDigest.Of(large), await TensorDigest.StartOf(null, large));
    }

    [Fact]
    public async Task Should_digest_a_frame_as_the_file_the_camera_sent()
    {
        var jpeg = new byte[600 * 1024];
        new Random(4).NextBytes(jpeg);
        var tensors = new Dictionary<string, TensorPayload>();

        Assert.Equal(Convert.ToHexString(SHA256.HashData(jpeg)).ToLowerInvariant(), await TensorDigest.StartOf(jpeg, tensors));
        Assert.True(TensorDigest.StartOf(jpeg[..1024], tensors).IsCompleted);
    }
}
