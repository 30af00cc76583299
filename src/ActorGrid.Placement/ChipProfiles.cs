using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorGrid.Placement;

// What kind of work a task is, for chip speed: the MLPerf split between training and inference,
// plus analysis (a model run over a batch of images).
public static class WorkloadClass
{
    public const string Training = "training";
    public const string Inference = "inference";
    public const string Analysis = "analysis";

    public static readonly IReadOnlyList<string> All = [Training, Inference, Analysis];

    // Traces and tasks name a kind; retraining is training, and a kind we do not know is analysis
    // (generic compute: the middle of the three on every chip).
    public static string Of(string? kind) => kind switch
    {
        "training" or "retraining" => Training,
        "inference" => Inference,
        _ => Analysis,
    };
}

// Relative throughput per chip model and workload class against a reference chip (A100 = 1.0), from
// hocon/chips/profiles.hocon. A duration measured on the reference chip takes duration / Speed on
// another. Uniform (every speed 1.0) is what placement assumes when no profiles are configured:
// the behaviour before chips had speeds.
public sealed class ChipProfiles
{
    public const string CpuKey = "cpu";
    public const string UnknownKey = "unknown-chip";

    private readonly Dictionary<string, Dictionary<string, double>> _speeds;

    private ChipProfiles(string reference, Dictionary<string, Dictionary<string, double>> speeds)
    {
        Reference = reference;
        _speeds = speeds;
    }

    public static ChipProfiles Uniform { get; } = new("uniform", new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal));

    public string Reference { get; }

    public bool IsUniform => _speeds.Count == 0;

    public IReadOnlyCollection<string> Models => _speeds.Keys;

    // Null chip model: work with no chip (CPU cores). A model the profiles do not name runs at
    // the `unknown-chip` entry, or 1.0 without one.
    public double Speed(string? chipModel, string workload)
    {
        if (IsUniform) return 1.0;
        var key = chipModel ?? CpuKey;
        if (!_speeds.TryGetValue(key, out var byClass) && !_speeds.TryGetValue(UnknownKey, out byClass)) return 1.0;
        return byClass.TryGetValue(workload, out var s) ? s : byClass.GetValueOrDefault(WorkloadClass.Analysis, 1.0);
    }

    // Seconds on `chipModel` for work that takes `referenceSeconds` on the reference chip.
    public double RunSeconds(double referenceSeconds, string? chipModel, string workload) => referenceSeconds / Speed(chipModel, workload);

    public static ChipProfiles Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"chip profiles '{path}' do not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    // Throws FormatException naming the source and the key.
    public static ChipProfiles Parse(string text, string source)
    {
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new FormatException($"chip profiles '{source}' are not valid HOCON or JSON: {ex.Message.Split('\n')[0].Trim()}", ex);
        }
        if (config.IsEmpty || !config.HasPath("chip-profiles.chips"))
            throw new FormatException($"chip profiles '{source}': chip-profiles.chips is missing; the file must have `chip-profiles {{ chips {{ model {{ training = 1.0, ... }} }} }}`");
        var reference = config.GetString("chip-profiles.reference", "nvidia-a100");
        var chips = config.GetValue("chip-profiles.chips");
        if (!chips.IsObject()) throw new FormatException($"chip profiles '{source}': chip-profiles.chips must be an object {{ model {{ ... }} }}");

        var speeds = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        foreach (var (model, value) in chips.GetObject().Items)
        {
            var key = $"chip-profiles.chips.{model}";
            if (!value.IsObject()) throw new FormatException($"chip profiles '{source}': {key} must be an object {{ training = ..., inference = ..., analysis = ... }}");
            var byClass = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (workload, speed) in value.GetObject().Items)
            {
                if (!WorkloadClass.All.Contains(workload))
                    throw new FormatException($"chip profiles '{source}': {key}.{workload} is not a workload class; expected one of {string.Join(", ", WorkloadClass.All)}");
                var textValue = speed.GetString();
                if (!double.TryParse(textValue, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || !(s > 0) || !double.IsFinite(s))
                    throw new FormatException($"chip profiles '{source}': {key}.{workload} must be a positive number, not '{textValue}'");
                byClass[workload] = s;
            }
            speeds[model] = byClass;
        }
        if (speeds.Count == 0) throw new FormatException($"chip profiles '{source}': chip-profiles.chips names no chip");
        if (speeds.TryGetValue(reference, out var refSpeeds) && refSpeeds.Values.Any(v => Math.Abs(v - 1.0) > 1e-9))
            throw new FormatException($"chip profiles '{source}': the reference chip {reference} must have speed 1.0 for every class");
        return new ChipProfiles(reference, speeds);
    }
}
