using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text.Json;
using ActorGrid.Protocol.Inference;
using Akka.Actor;
using Akka.Serialization;

namespace ActorGrid.Protocol.Serialization;

// Inference requests and answers between hosts carry tensors of megabytes (a 640×640 float frame
// is 4.9 MB). As JSON their bytes would be base64: a third larger, which took a 640×640 request
// (6.5 MB) past remoting's frame limit, and time spent encoding and parsing text. This writes the
// message as ActorGridSerializer would, with the tensor bytes left out, then the bytes as they are:
//
//   [int32 LE: length of the JSON][JSON][for each tensor in the JSON's order: int32 LE length][bytes]
//
// Same manifests as ActorGridSerializer (ProtocolManifests); bound to the two messages only.
public sealed class TensorMessageSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7312;

    private readonly JsonSerializerOptions _options;

    public TensorMessageSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = ActorGridSerializer.CreateOptions(new ActorRefJsonConverter(system));
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => ActorGridSerializer.ManifestOf(o);

    public override byte[] ToBinary(object obj)
    {
        object envelope;
        List<byte[]> blobs;
        switch (obj)
        {
            case RunInference run:
                envelope = run with { Inputs = Stripped(run.Inputs), Frame = run.Frame is { } frame ? frame with { Image = [] } : null };
                blobs = [.. run.Inputs.Values.Select(t => t.Data)];
                if (run.Frame is { } f) blobs.Add(f.Image);
                break;
            case InferenceSucceeded done:
                envelope = done with { Outputs = Stripped(done.Outputs) };
                blobs = [.. done.Outputs.Values.Select(t => t.Data)];
                break;
            default:
                throw new ArgumentException($"{obj.GetType().FullName} is not a tensor message; ActorGridSerializer carries it.");
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(envelope, envelope.GetType(), _options);
        var result = GC.AllocateUninitializedArray<byte>(checked(4 + json.Length + blobs.Sum(b => 4 + b.Length)));
        var at = Write(result, 0, json);
        foreach (var blob in blobs) at = Write(result, at, blob);
        return result;
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ProtocolManifests.ByManifest.TryGetValue(manifest, out var type) || (type != typeof(RunInference) && type != typeof(InferenceSucceeded)))
            throw new SerializationException($"Manifest '{manifest}' is not a tensor message.");
        var at = 0;
        var json = Read(bytes, ref at);
        var envelope = JsonSerializer.Deserialize(json, type, _options) ?? throw new SerializationException($"Manifest '{manifest}' decoded to null.");
        return envelope switch
        {
            RunInference run => run with
            {
                Inputs = Filled(run.Inputs, bytes, ref at),
                Frame = run.Frame is { } frame ? frame with { Image = Read(bytes, ref at).ToArray() } : null,
            },
            InferenceSucceeded done => done with { Outputs = Filled(done.Outputs, bytes, ref at) },
            _ => throw new SerializationException($"Manifest '{manifest}' is not a tensor message."),
        };
    }

    private static Dictionary<string, TensorPayload> Stripped(IReadOnlyDictionary<string, TensorPayload> tensors) =>
        tensors.ToDictionary(kv => kv.Key, kv => kv.Value with { Data = [] });

    // The JSON lists the tensors in the order their bytes follow (a dictionary read back keeps the
    // document's order).
    private static Dictionary<string, TensorPayload> Filled(IReadOnlyDictionary<string, TensorPayload> tensors, byte[] bytes, ref int at)
    {
        var filled = new Dictionary<string, TensorPayload>(tensors.Count);
        foreach (var (name, tensor) in tensors) filled[name] = tensor with { Data = Read(bytes, ref at).ToArray() };
        return filled;
    }

    private static int Write(byte[] into, int at, byte[] blob)
    {
        BinaryPrimitives.WriteInt32LittleEndian(into.AsSpan(at), blob.Length);
        blob.CopyTo(into.AsSpan(at + 4));
        return at + 4 + blob.Length;
    }

    private static ReadOnlySpan<byte> Read(byte[] bytes, ref int at)
    {
        if (bytes.Length - at < 4) throw new SerializationException("A tensor message ended before a length.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
        if (length < 0 || length > bytes.Length - at - 4) throw new SerializationException($"A tensor message's part of {length} bytes runs past its end.");
        var part = bytes.AsSpan(at + 4, length);
        at += 4 + length;
        return part;
    }
}
