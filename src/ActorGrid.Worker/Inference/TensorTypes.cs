using Microsoft.ML.OnnxRuntime.Tensors;

namespace ActorGrid.Worker.Inference;

// The element types the grid accepts on its API, by the names it uses on the wire, and how they
// map onto ONNX Runtime's. Anything else (strings, maps, float16) is reported, not guessed at.
public static class TensorTypes
{
    public const string Float32 = "float32";
    public const string Float64 = "float64";
    public const string Int32 = "int32";
    public const string Int64 = "int64";

    public static readonly IReadOnlyList<string> Supported = [Float32, Float64, Int32, Int64];

    public static string NameOf(TensorElementType type) => type switch
    {
        TensorElementType.Float => Float32,
        TensorElementType.Double => Float64,
        TensorElementType.Int32 => Int32,
        TensorElementType.Int64 => Int64,
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int8 => "int8",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        _ => type.ToString().ToLowerInvariant(),
    };

    public static TensorElementType? ElementOf(string name) => name switch
    {
        Float32 => TensorElementType.Float,
        Float64 => TensorElementType.Double,
        Int32 => TensorElementType.Int32,
        Int64 => TensorElementType.Int64,
        _ => null,
    };

    public static int SizeOf(string name) => name switch
    {
        Float32 or Int32 => 4,
        Float64 or Int64 => 8,
        _ => 0,
    };

    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }
}
