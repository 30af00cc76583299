using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Worker.Inference;

// Where a worker's inference sessions run: Provider (cpu | cuda), the CUDA device index, and when
// CUDA was wanted but cannot be had, the one sentence the host logs about it. Decided once per
// host from its descriptor, actorgrid.inference.execution-providers and the providers this build
// of ONNX Runtime has (passed in, so the rule is tested without a GPU).
public sealed record ExecutionTarget(string Provider, int? Device, string? Fallback = null)
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public const string Auto = "auto";
    public const string CudaProvider = "CUDAExecutionProvider";

    public static readonly ExecutionTarget OnCpu = new(Cpu, null);

    // What /v1/inference/hosts shows: cpu, or cuda:<device>.
    public string Describe() => Device is { } d ? $"{Provider}:{d}" : Provider;

    // auto (the default): CUDA when the node declares NVIDIA chips, else CPU. cuda: CUDA whether
    // or not chips are declared. cpu first: CPU. The device is the node's first NVIDIA chip as
    // ChipAllocator numbers them (the index CUDA_VISIBLE_DEVICES would name); with own-chip on
    // (the default) the worker's allocator holds that chip for inference (WorkerSetup.OwnedDevice).
    public static ExecutionTarget For(NodeDescriptor node, IReadOnlyList<string> configured, IReadOnlySet<string> available)
    {
        var nvidia = new ChipAllocator(node).Chips.Where(c => c.Vendor == ChipVendors.Nvidia).ToList();
        var wanted = configured.FirstOrDefault(p => p is Cpu or Cuda or Auto) ?? Cpu;
        var wantsCuda = wanted == Cuda || (wanted == Auto && nvidia.Count > 0);
        if (!wantsCuda) return OnCpu;
        var device = nvidia.Count > 0 ? nvidia.Min(c => c.Index) : 0;
        if (available.Contains(CudaProvider)) return new ExecutionTarget(Cuda, device);
        var chips = nvidia.Count > 0 ? $"declares {nvidia.Count} NVIDIA chip(s) ({string.Join(", ", nvidia.Select(c => c.Model).Distinct())})" : "is configured for cuda";
        return OnCpu with
        {
            Fallback = $"Node {node.Id} {chips} but this build of ONNX Runtime has no CUDA execution provider "
                       + "(the CPU package; build with -p:ActorGridGpu=true for Microsoft.ML.OnnxRuntime.Gpu.Linux): inference runs on CPU.",
        };
    }
}
