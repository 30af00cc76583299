using Microsoft.ML.OnnxRuntime;

namespace ActorGrid.Worker.Inference;

// Builds ONNX Runtime sessions with the options from actorgrid.inference. Execution providers
// are tried in the configured order; one this build of ONNX Runtime lacks (CUDA on the CPU
// package) is skipped and reported, so the same HOCON serves CPU and GPU hosts.
public sealed class OnnxSessionFactory(InferenceSettings settings)
{
    private static readonly Lazy<IReadOnlySet<string>> Available =
        new(() => OrtEnv.Instance().GetAvailableProviders().ToHashSet(StringComparer.OrdinalIgnoreCase));

    public static IReadOnlySet<string> AvailableProviders => Available.Value;

    public InferenceSettings Settings => settings;

    // The providers a session actually gets, in order; CPU is always the last resort.
    public IReadOnlyList<string> EffectiveProviders()
    {
        var result = new List<string>();
        foreach (var p in settings.ExecutionProviders)
        {
            if (p == "cuda" && AvailableProviders.Contains("CUDAExecutionProvider")) result.Add("cuda");
            if (p == "cpu") result.Add("cpu");
        }
        if (!result.Contains("cpu")) result.Add("cpu");
        return result;
    }

    // intra-op-threads = auto: a model loaded on an idle worker gets every core for one frame
    // (a 640×640 detector pinned to one thread ran at half the raw speed on 2 cores); each model
    // already held here takes its share, so several busy models do not oversubscribe the host.
    public int IntraOpThreadsFor(int sharingWith) =>
        settings.IntraOpThreads > 0 ? settings.IntraOpThreads : Math.Max(1, Environment.ProcessorCount / (1 + Math.Max(0, sharingWith)));

    // Without a target (the gateway reading an upload's signature), the configured providers as
    // before; with one (a worker's ModelRunner), exactly its provider and device.
    public SessionOptions CreateOptions(int sharingWith = 0, ExecutionTarget? target = null)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreadsFor(sharingWith),
            InterOpNumThreads = settings.InterOpThreads,
            GraphOptimizationLevel = settings.GraphOptimizationLevel switch
            {
                "disable" or "none" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                "all" => GraphOptimizationLevel.ORT_ENABLE_ALL,
                var other => throw new ArgumentException(
                    $"actorgrid.inference.graph-optimization-level '{other}' is not one of disable, basic, extended, all."),
            },
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // Errors only: ORT's warnings about unused initializers would flood the host log.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            if (target is not null) { if (target.Provider == ExecutionTarget.Cuda) options.AppendExecutionProvider_CUDA(target.Device ?? 0); }
            else if (EffectiveProviders().Contains(ExecutionTarget.Cuda)) options.AppendExecutionProvider_CUDA(0);
        }
        catch
        {
            options.Dispose();
            throw;
        }
        return options;
    }

    // Opens the model on the target, and on CPU when the CUDA provider is there but will not start
    // (no driver, no libcudart, a device index the machine lacks): the session the worker can have,
    // the target it runs on, and why it is not the one asked for.
    public (InferenceSession Session, ExecutionTarget Used) Open(string modelPath, int sharingWith, ExecutionTarget target)
    {
        try
        {
            using var options = CreateOptions(sharingWith, target);
            return (new InferenceSession(modelPath, options), target);
        }
        catch (OnnxRuntimeException ex) when (target.Provider == ExecutionTarget.Cuda)
        {
            using var options = CreateOptions(sharingWith, ExecutionTarget.OnCpu);
            return (new InferenceSession(modelPath, options),
                ExecutionTarget.OnCpu with { Fallback = $"CUDA device {target.Device} could not be used ({ex.Message.Trim()}): this model runs on CPU." });
        }
    }

    public InferenceSession Open(string modelPath, int sharingWith = 0)
    {
        using var options = CreateOptions(sharingWith);
        return new InferenceSession(modelPath, options);
    }

    public InferenceSession Open(byte[] model)
    {
        using var options = CreateOptions();
        return new InferenceSession(model, options);
    }
}
