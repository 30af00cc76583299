using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ActorGrid.Protocol.Inference;

namespace ActorGrid.Runtime.Inference;

// Typed values ↔ the raw little-endian bytes a TensorPayload carries.
public static class TensorPayloads
{
    static TensorPayloads()
    {
        // Raw bytes are copied straight into ONNX Runtime's buffers; that is only right on a
        // little-endian machine, which is every machine .NET 10 runs ONNX Runtime on.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ActorGrid inference needs a little-endian CPU.");
    }

    public static TensorPayload Float32(IReadOnlyList<long> shape, ReadOnlySpan<float> data) =>
        new(TensorTypes.Float32, [.. shape], MemoryMarshal.AsBytes(data).ToArray());

    public static float[] ToFloat32(TensorPayload tensor) =>
        tensor.Type == TensorTypes.Float32
            ? MemoryMarshal.Cast<byte, float>(tensor.Data).ToArray()
            : throw new InvalidOperationException($"The tensor is {tensor.Type}, not float32.");

    // Numbers from JSON into the element type the model declares.
    public static TensorPayload FromNumbers(string type, IReadOnlyList<long> shape, double[] values)
    {
        var size = TensorTypes.SizeOf(type);
        var data = new byte[values.Length * size];
        var span = data.AsSpan();
        switch (type)
        {
            case TensorTypes.Float32:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], (float)values[i]);
                break;
            case TensorTypes.Float64:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], values[i]);
                break;
            case TensorTypes.Int32:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], checked((int)values[i]));
                break;
            case TensorTypes.Int64:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], checked((long)values[i]));
                break;
            default:
                throw new ArgumentException($"Unsupported tensor type {type}.");
        }
        return new TensorPayload(type, [.. shape], data);
    }

    // Writes the values as JSON numbers without boxing: float32 as float so 0.1f prints as 0.1.
    public static void WriteNumbers(System.Text.Json.Utf8JsonWriter writer, TensorPayload tensor)
    {
        writer.WriteStartArray();
        var data = tensor.Data.AsSpan();
        switch (tensor.Type)
        {
            case TensorTypes.Float32:
                foreach (var v in MemoryMarshal.Cast<byte, float>(data)) WriteFloat(writer, v);
                break;
            case TensorTypes.Float64:
                foreach (var v in MemoryMarshal.Cast<byte, double>(data))
                    if (double.IsFinite(v)) writer.WriteNumberValue(v); else writer.WriteNullValue();
                break;
            case TensorTypes.Int32:
                foreach (var v in MemoryMarshal.Cast<byte, int>(data)) writer.WriteNumberValue(v);
                break;
            case TensorTypes.Int64:
                foreach (var v in MemoryMarshal.Cast<byte, long>(data)) writer.WriteNumberValue(v);
                break;
            default:
                throw new InvalidOperationException($"Output of type {tensor.Type} cannot be written as JSON numbers.");
        }
        writer.WriteEndArray();
    }

    // JSON has no NaN or infinity; they go out as null rather than break the document.
    private static void WriteFloat(System.Text.Json.Utf8JsonWriter writer, float v)
    {
        if (float.IsFinite(v)) writer.WriteNumberValue(v); else writer.WriteNullValue();
    }
}
