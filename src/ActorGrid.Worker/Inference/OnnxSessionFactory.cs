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

    public SessionOptions CreateOptions(int sharingWith = 0)
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
        foreach (var provider in EffectiveProviders())
            if (provider == "cuda") options.AppendExecutionProvider_CUDA(0);
        return options;
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
