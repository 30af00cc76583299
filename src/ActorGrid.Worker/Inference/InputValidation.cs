using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;

namespace ActorGrid.Worker.Inference;

// Checks a request's tensors against the model's signature before anything runs, so a wrong
// name, type or shape is a 400 with the exact mismatch rather than ONNX Runtime's exception.
public static class InputValidation
{
    public static string? Check(ModelSignature signature, IReadOnlyDictionary<string, TensorPayload> inputs)
    {
        foreach (var name in inputs.Keys)
            if (signature.Inputs.All(i => i.Name != name))
                return $"The model has no input '{name}'; its inputs are: {Describe(signature.Inputs)}.";
        foreach (var spec in signature.Inputs)
        {
            if (!inputs.TryGetValue(spec.Name, out var tensor))
                return $"Input '{spec.Name}' is missing; the model's inputs are: {Describe(signature.Inputs)}.";
            if (TensorTypes.ElementOf(spec.Type) is null)
                return $"Input '{spec.Name}' is of type {spec.Type}, which this gateway cannot feed; supported types: {string.Join(", ", TensorTypes.Supported)}.";
            if (tensor.Type != spec.Type)
                return $"Input '{spec.Name}' must be {spec.Type}, not {tensor.Type}.";
            if (tensor.Shape.Count != spec.Shape.Count)
                return $"Input '{spec.Name}' must have {spec.Shape.Count} dimensions {Shape(spec.Shape)}, not {tensor.Shape.Count} {Shape(tensor.Shape)}.";
            for (var d = 0; d < spec.Shape.Count; d++)
            {
                if (tensor.Shape[d] <= 0)
                    return $"Input '{spec.Name}' dimension {d} is {tensor.Shape[d]}; dimensions must be positive.";
                if (spec.Shape[d] >= 0 && tensor.Shape[d] != spec.Shape[d])
                    return $"Input '{spec.Name}' has shape {Shape(tensor.Shape)} but the model expects {Shape(spec.Shape)} (dimension {d} must be {spec.Shape[d]}).";
            }
            long expected;
            try
            {
                expected = TensorTypes.ElementCount(tensor.Shape) * TensorTypes.SizeOf(tensor.Type);
            }
            catch (OverflowException)
            {
                return $"Input '{spec.Name}' shape {Shape(tensor.Shape)} is too large.";
            }
            if (tensor.Data.Length != expected)
                return $"Input '{spec.Name}' has {tensor.Data.Length / Math.Max(1, TensorTypes.SizeOf(tensor.Type))} values but shape {Shape(tensor.Shape)} needs {expected / TensorTypes.SizeOf(tensor.Type)}.";
        }
        if (signature.Batchable)
        {
            var rows = inputs[signature.Inputs[0].Name].Shape[0];
            var odd = signature.Inputs.FirstOrDefault(i => inputs[i.Name].Shape[0] != rows);
            if (odd is not null) return $"Input '{odd.Name}' has {inputs[odd.Name].Shape[0]} rows but '{signature.Inputs[0].Name}' has {rows}; the batch dimension must agree.";
        }
        return null;
    }

    public static string Shape(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";

    private static string Describe(IReadOnlyList<TensorSpec> specs) =>
        string.Join(", ", specs.Select(s => $"{s.Name} {s.Type} {Shape(s.Shape)}"));
}
