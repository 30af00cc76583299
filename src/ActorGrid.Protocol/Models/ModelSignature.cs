namespace ActorGrid.Protocol.Models;

// One input or output of a model as ONNX Runtime reports it: element type ("float32", "int64", …)
// and shape, with -1 for a dynamic dimension.
public sealed record TensorSpec(string Name, string Type, IReadOnlyList<long> Shape)
{
    // A model batches when its first dimension is dynamic: requests can then be stacked along it.
    public bool HasBatchDimension => Shape.Count > 0 && Shape[0] < 0;
}

public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    public bool Batchable =>
        Inputs.Count > 0 && Inputs.All(i => i.HasBatchDimension) && Outputs.Count > 0 && Outputs.All(o => o.HasBatchDimension);
}

// Names tenants give models. The catalog never builds a path from a name (blobs are stored by
// hash), but names still appear in URLs, logs and CSV exports, so they stay plain.
public static class ModelNames
{
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= 63 }
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
        && !name.Contains("..", StringComparison.Ordinal);

    public const string Rule = "use 1-63 letters, digits, '.', '-' or '_', starting with a letter or digit, without '..'";
}
