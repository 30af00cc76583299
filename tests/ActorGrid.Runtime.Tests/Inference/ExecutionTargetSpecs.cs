using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Worker.Inference;

namespace ActorGrid.Runtime.Tests.Inference;

// Where a worker's sessions run, from its descriptor, the configured providers and what the ONNX
// Runtime build offers; the available set is given, so the GPU cases run on this CPU machine.
public class ExecutionTargetSpecs
{
    private static readonly HashSet<string> CpuBuild = ["CPUExecutionProvider"];
    private static readonly HashSet<string> GpuBuild = ["CUDAExecutionProvider", "CPUExecutionProvider"];

    private static NodeDescriptor Node(params ChipSet[] chips) =>
        new(new NodeId("n1"), Tiers.Edge, "s", "z", 8, 16384, chips, 0, 0, new Dictionary<string, string>());

    [Fact]
    public void Should_run_on_the_first_nvidia_chip_when_the_node_has_some_and_cuda_is_there()
    {
        var node = Node(new ChipSet("ascend-910b", 2, 65536), new ChipSet("nvidia-l4", 2, 24576));

        var target = ExecutionTarget.For(node, ["auto"], GpuBuild);

        Assert.Equal(new ExecutionTarget("cuda", 0), target);
        Assert.Equal("cuda:0", target.Describe());
    }

    [Fact]
    public void Should_fall_back_to_cpu_with_a_reason_when_the_node_has_nvidia_chips_but_the_build_has_no_cuda()
    {
        var target = ExecutionTarget.For(Node(new ChipSet("nvidia-a100", 2, 40960)), ["auto"], CpuBuild);

        Assert.Equal(("cpu", (int?)null), (target.Provider, target.Device));
        Assert.Contains("Node n1 declares 2 NVIDIA chip(s) (nvidia-a100)", target.Fallback);
        Assert.Contains("-p:ActorGridGpu=true", target.Fallback);
    }

    [Fact]
    public void Should_stay_on_cpu_without_a_word_when_there_is_nothing_to_fall_back_from()
    {
        Assert.Equal(ExecutionTarget.OnCpu, ExecutionTarget.For(Node(), ["auto"], GpuBuild));
        Assert.Equal(ExecutionTarget.OnCpu, ExecutionTarget.For(Node(new ChipSet("nvidia-a100", 1, 40960)), ["cpu", "cuda"], GpuBuild));
        Assert.Equal(ExecutionTarget.OnCpu, ExecutionTarget.For(Node(new ChipSet("ascend-910b", 8, 65536)), ["auto"], GpuBuild));
    }

    [Fact]
    public void Should_use_cuda_when_configured_even_without_declared_chips()
    {
        Assert.Equal(new ExecutionTarget("cuda", 0), ExecutionTarget.For(Node(), ["cuda", "cpu"], GpuBuild));
        Assert.Contains("is configured for cuda", ExecutionTarget.For(Node(), ["cuda", "cpu"], CpuBuild).Fallback);
    }

    [Fact]
    public void Should_open_a_session_on_cpu_when_the_target_is_cpu()
    {
        var factory = new OnnxSessionFactory(InferenceSettings.Default);
        var path = Path.Combine(Path.GetTempPath(), "target-" + Guid.NewGuid().ToString("n") + ".onnx");
        File.WriteAllBytes(path, Onnx.TestModels.Elementwise());
        try
        {
            var (session, used) = factory.Open(path, 0, ExecutionTarget.OnCpu);
            using (session) Assert.Equal(ExecutionTarget.OnCpu, used);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
