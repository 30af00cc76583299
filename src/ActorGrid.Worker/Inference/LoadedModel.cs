using System.Runtime.InteropServices;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using Microsoft.ML.OnnxRuntime;

namespace ActorGrid.Worker.Inference;

// One ONNX Runtime session and the model's signature, reused for every request on this worker.
// Run is called from one batch at a time (the runner actor serialises it), off the actor thread.
public sealed class LoadedModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    public LoadedModel(InferenceSession session)
    {
        _session = session;
        Signature = ReadSignature(session);
        _inputNames = [.. Signature.Inputs.Select(i => i.Name)];
        _outputNames = [.. Signature.Outputs.Select(o => o.Name)];
    }

    public ModelSignature Signature { get; }

    // One run on zeros before the first request: ONNX Runtime allocates its arena and picks kernels
    // on the first Run, which made a cold first request ~20× slower than the next. Dimensions the
    // model leaves open are 1. Returns null, or why the model could not run (a model that needs
    // real data to run, e.g. one that indexes with its input, still serves; only the warm-up is skipped).
    private const long MaxWarmUpBytes = 256L << 20;

    public string? WarmUp()
    {
        if (Signature.Inputs.Any(i => TensorTypes.ElementOf(i.Type) is null)) return "an input is not a plain tensor";
        var shapes = Signature.Inputs.ToDictionary(i => i.Name, i => (IReadOnlyList<long>)[.. i.Shape.Select(d => d < 0 ? 1L : d)]);
        var bytes = Signature.Inputs.Sum(i => TensorTypes.ElementCount(shapes[i.Name]) * TensorTypes.SizeOf(i.Type));
        if (bytes > MaxWarmUpBytes) return $"its inputs take {bytes / (1 << 20)} MiB at the smallest shape";
        var inputs = Signature.Inputs.ToDictionary(i => i.Name, i =>
            new TensorPayload(i.Type, shapes[i.Name], new byte[TensorTypes.ElementCount(shapes[i.Name]) * TensorTypes.SizeOf(i.Type)]));
        try
        {
            RunOne(inputs);
            return null;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException or ArgumentException)
        {
            return ex.Message;
        }
    }

    public static ModelSignature ReadSignature(InferenceSession session) => new(
        [.. session.InputMetadata.Select(pair => SpecOf(pair.Key, pair.Value))],
        [.. session.OutputMetadata.Select(pair => SpecOf(pair.Key, pair.Value))]);

    private static TensorSpec SpecOf(string name, NodeMetadata meta) => meta.IsTensor
        ? new TensorSpec(name, TensorTypes.NameOf(meta.ElementDataType), [.. meta.Dimensions.Select(d => d < 0 ? -1L : d)])
        : new TensorSpec(name, meta.OnnxValueType.ToString().ToLowerInvariant(), []);

    // Runs one request or a stack of them. Each entry is one request's inputs; they are
    // concatenated along dimension 0 (the caller grouped requests whose other dims agree), run
    // once, and the outputs cut back along dimension 0 in the same order.
    public IReadOnlyList<IReadOnlyDictionary<string, TensorPayload>> Run(IReadOnlyList<IReadOnlyDictionary<string, TensorPayload>> requests)
    {
        if (requests.Count == 1) return [RunOne(requests[0])];

        var rows = requests.Select(r => r[_inputNames[0]].Shape[0]).ToArray();
        var stacked = new Dictionary<string, TensorPayload>(_inputNames.Length);
        foreach (var name in _inputNames)
        {
            var first = requests[0][name];
            var total = requests.Sum(r => r[name].Data.Length);
            var data = new byte[total];
            var at = 0;
            foreach (var r in requests)
            {
                var part = r[name].Data;
                Buffer.BlockCopy(part, 0, data, at, part.Length);
                at += part.Length;
            }
            stacked[name] = new TensorPayload(first.Type, [rows.Sum(), .. first.Shape.Skip(1)], data);
        }

        var outputs = RunOne(stacked);
        var totalRows = rows.Sum();
        var results = new Dictionary<string, TensorPayload>[requests.Count];
        for (var i = 0; i < results.Length; i++) results[i] = new Dictionary<string, TensorPayload>(_outputNames.Length);
        foreach (var (name, output) in outputs)
        {
            if (output.Shape.Count == 0 || output.Shape[0] != totalRows)
                throw new InvalidOperationException($"Output '{name}' has shape [{string.Join(",", output.Shape)}], not {totalRows} rows; the model cannot be batched.");
            var rowBytes = output.Data.Length / (int)totalRows;
            var offset = 0;
            for (var i = 0; i < requests.Count; i++)
            {
                var bytes = output.Data.AsSpan(offset, (int)rows[i] * rowBytes).ToArray();
                offset += bytes.Length;
                results[i][name] = new TensorPayload(output.Type, [rows[i], .. output.Shape.Skip(1)], bytes);
            }
        }
        return results;
    }

    // The inputs are handed to ONNX Runtime where they lie: each payload's array is pinned for the
    // run and wrapped, not copied, so the bytes the gateway read from the socket are the bytes the
    // model reads (a 640×640 frame is 4.9 MB; the copy into an ORT-allocated tensor was ~1 ms).
    private Dictionary<string, TensorPayload> RunOne(IReadOnlyDictionary<string, TensorPayload> inputs)
    {
        var values = new OrtValue[_inputNames.Length];
        var pins = new GCHandle[_inputNames.Length];
        try
        {
            for (var i = 0; i < _inputNames.Length; i++)
            {
                var tensor = inputs[_inputNames[i]];
                var element = TensorTypes.ElementOf(tensor.Type)
                              ?? throw new ArgumentException($"Input '{_inputNames[i]}' has unsupported type {tensor.Type}.");
                pins[i] = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
                values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, element, [.. tensor.Shape],
                    pins[i].AddrOfPinnedObject(), tensor.Data.LongLength);
            }
            using var results = _session.Run(_runOptions, _inputNames, values, _outputNames);
            var outputs = new Dictionary<string, TensorPayload>(_outputNames.Length);
            var index = 0;
            foreach (var result in results)
            {
                var info = result.GetTensorTypeAndShape();
                // The one copy out of ONNX Runtime's buffer (freed with `results`), into an array not zeroed first.
                var raw = result.GetTensorMutableRawData();
                var bytes = GC.AllocateUninitializedArray<byte>(raw.Length);
                raw.CopyTo(bytes);
                outputs[_outputNames[index++]] = new TensorPayload(TensorTypes.NameOf(info.ElementDataType), info.Shape, bytes);
            }
            return outputs;
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
            foreach (var pin in pins) if (pin.IsAllocated) pin.Free();
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
