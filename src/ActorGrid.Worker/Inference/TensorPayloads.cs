using System.Runtime.InteropServices;
using ActorGrid.Protocol.Inference;

namespace ActorGrid.Worker.Inference;

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
    public static TensorPayload FromNumbers(string type, IReadOnlyList<long> shape, double[] values) =>
        FromNumbers(type, shape, values.AsSpan());

    // The same from a span, so the gateway can convert straight out of its pooled parse buffer.
    // Doubles are narrowed with a plain cast (float32) or a checked one (integers): the values a
    // client sent are rounded the way they always were, and an integer out of range throws
    // OverflowException for the caller to report.
    public static TensorPayload FromNumbers(string type, IReadOnlyList<long> shape, ReadOnlySpan<double> values)
    {
        var data = new byte[values.Length * TensorTypes.SizeOf(type)];
        switch (type)
        {
            case TensorTypes.Float32:
                var floats = MemoryMarshal.Cast<byte, float>(data.AsSpan());
                for (var i = 0; i < values.Length; i++) floats[i] = (float)values[i];
                break;
            case TensorTypes.Float64:
                values.CopyTo(MemoryMarshal.Cast<byte, double>(data.AsSpan()));
                break;
            case TensorTypes.Int32:
                var ints = MemoryMarshal.Cast<byte, int>(data.AsSpan());
                for (var i = 0; i < values.Length; i++) ints[i] = checked((int)values[i]);
                break;
            case TensorTypes.Int64:
                var longs = MemoryMarshal.Cast<byte, long>(data.AsSpan());
                for (var i = 0; i < values.Length; i++) longs[i] = checked((long)values[i]);
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
