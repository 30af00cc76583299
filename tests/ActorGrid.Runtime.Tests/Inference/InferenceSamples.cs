using System.Security.Cryptography;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;

namespace ActorGrid.Runtime.Tests.Inference;

public static class InferenceSamples
{
    public static readonly TenantId Acme = new("acme");

    public static NodeDescriptor EdgeNode(string id = "edge-1", string site = "ningbo-f03") =>
        new(new NodeId(id), Tiers.Edge, site, "CN-ZJ", 2, 4096, [], 0, 0.1m, new Dictionary<string, string>());

    // Puts a model's bytes in the store and returns the reference a gateway would send.
    public static ModelRef Store(ModelBlobStore store, string name, byte[] onnx, OnnxSessionFactory sessions, int version = 1, string storedBy = "akka.tcp://actorgrid@127.0.0.1:1")
    {
        var sha = Convert.ToHexString(SHA256.HashData(onnx)).ToLowerInvariant();
        var temp = store.NewTempFile();
        File.WriteAllBytes(temp, onnx);
        store.Commit(temp, sha);
        using var model = new LoadedModel(sessions.Open(onnx));
        return new ModelRef(Acme, name, version, sha, onnx.Length, model.Signature, storedBy);
    }

    public static Dictionary<string, TensorPayload> Inputs(string name, long[] shape, float[] data) =>
        new() { [name] = TensorPayloads.Float32(shape, data) };
}
