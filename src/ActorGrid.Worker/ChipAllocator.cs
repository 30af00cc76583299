using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Worker;

// Which chip indices of this host each live attempt owns. The descriptor's chip sets are numbered
// per vendor in the order they are declared (two nvidia-a100 then one nvidia-l4 are NVIDIA 0, 1
// and 2; eight ascend-910b are Ascend 0-7), which is how the vendor's runtime enumerates them
// when the descriptor lists them as the machine does. An attempt gets whole chips of one model,
// the lowest free indices first; no index is ever held by two attempts. Pure and
// single-threaded (owned by the ledger, which the agent owns).
public sealed class ChipAllocator
{
    public sealed record Chip(string Model, string Vendor, int Index, long MemoryMiB);

    // What one attempt holds: every chip is of Model; Indices are the vendor's device numbers.
    public sealed record Grant(TaskId TaskId, int Attempt, string Model, string Vendor, IReadOnlyList<int> Indices)
    {
        public string IndexList => string.Join(',', Indices.Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }

    private readonly NodeId _node;
    private readonly IReadOnlyList<Chip> _chips;
    private readonly Dictionary<TaskId, Grant> _grants = new();
    private readonly Chip? _inference;

    // inferenceDevice: the NVIDIA index this host's CUDA inference sessions run on
    // (ExecutionTarget), held for them for good: no attempt is granted it, so a training job never
    // shares the GPU that serves the line's 80 ms inspections. Null: inference holds no chip.
    public ChipAllocator(NodeDescriptor node, int? inferenceDevice = null)
    {
        _node = node.Id;
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        var chips = new List<Chip>();
        foreach (var set in node.Chips)
        {
            var vendor = ChipVendors.Of(set.Model);
            for (var i = 0; i < set.Count; i++)
            {
                // Detected chips carry their device numbers; declared ones are numbered in order.
                var index = set.Indices is { } detected && i < detected.Count ? detected[i] : next.GetValueOrDefault(vendor);
                next[vendor] = Math.Max(next.GetValueOrDefault(vendor), index + 1);
                chips.Add(new Chip(set.Model, vendor, index, set.MemoryMiB));
            }
        }
        _chips = chips;
        _inference = inferenceDevice is { } device ? chips.FirstOrDefault(c => c.Vendor == ChipVendors.Nvidia && c.Index == device) : null;
    }

    public const string InferenceHolder = "inference";

    public IReadOnlyList<Chip> Chips => _chips;

    // Chips held outside attempts, as telemetry reports them.
    public IReadOnlyList<HeldChip> Held => _inference is { } c ? [new HeldChip(c.Model, c.Index, InferenceHolder)] : [];

    public IReadOnlyCollection<Grant> Grants => _grants.Values;

    public Grant? HeldBy(TaskId task) => _grants.GetValueOrDefault(task);

    // Free chips per model, for bids and telemetry.
    public IReadOnlyDictionary<string, int> FreeByModel()
    {
        var free = _chips.GroupBy(c => c.Model).ToDictionary(g => g.Key, _ => 0, StringComparer.Ordinal);
        foreach (var chip in FreeChips()) free[chip.Model]++;
        return free;
    }

    // Null when the chips could be granted now (counting those held by `ignoring` as free); otherwise why not.
    public string? WhyNot(ChipRequirement need, IReadOnlyCollection<TaskId>? ignoring = null)
    {
        if (Pick(need, ignoring) is not null) return null;
        var any = need.Model == ChipRequirement.AnyModel;
        var models = any ? _chips.Where(c => c.MemoryMiB >= need.MinMemoryMiB).Select(c => c.Model).Distinct().ToList() : [need.Model];
        if (!_chips.Any(c => models.Contains(c.Model)))
            return any ? $"{_node} has no chips" + (need.MinMemoryMiB > 0 ? $" with {need.MinMemoryMiB} MiB" : "") : $"{_node} has no {need.Model} chips";
        var free = FreeChips(ignoring).Where(c => models.Contains(c.Model)).GroupBy(c => c.Model).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var held = _inference is { } c && models.Contains(c.Model) ? $" ({c.Vendor} {c.Index} is held for inference)" : "";
        return $"{_node} has {free} free {(any ? "chips of one model" : need.Model)}, {need.Count} needed{held}";
    }

    // Grants the attempt its chips, or keeps what it already holds. Null (and nothing changes) when
    // they are not free; then WhyNot says why.
    public Grant? Allocate(TaskId task, int attempt, ChipRequirement need)
    {
        if (_grants.TryGetValue(task, out var held) && held.Attempt == attempt && Satisfies(held, need)) return held;
        _grants.Remove(task); // an older attempt of the task gives its chips back first
        if (Pick(need, null) is not { } picked) return null;
        var grant = new Grant(task, attempt, picked[0].Model, picked[0].Vendor, [.. picked.Select(c => c.Index)]);
        _grants[task] = grant;
        return grant;
    }

    public void Release(TaskId task) => _grants.Remove(task);

    private static bool Satisfies(Grant held, ChipRequirement need) =>
        held.Indices.Count == need.Count && (need.Model == ChipRequirement.AnyModel || need.Model == held.Model);

    // The lowest free indices of the first model (in descriptor order) that has enough of them.
    private List<Chip>? Pick(ChipRequirement need, IReadOnlyCollection<TaskId>? ignoring)
    {
        if (need.Count <= 0) return null;
        var any = need.Model == ChipRequirement.AnyModel;
        return FreeChips(ignoring)
            .Where(c => (any || c.Model == need.Model) && c.MemoryMiB >= need.MinMemoryMiB)
            .GroupBy(c => c.Model)
            .Select(g => g.OrderBy(c => c.Index).Take(need.Count).ToList())
            .FirstOrDefault(g => g.Count == need.Count);
    }

    private IEnumerable<Chip> FreeChips(IReadOnlyCollection<TaskId>? ignoring = null)
    {
        var taken = _grants.Values.Where(g => ignoring?.Contains(g.TaskId) != true)
            .SelectMany(g => g.Indices.Select(i => (g.Vendor, i))).ToHashSet();
        return _chips.Where(c => c != _inference && !taken.Contains((c.Vendor, c.Index)));
    }
}

// The vendor of a chip model (by the name's prefix, as the descriptors and chip profiles spell
// them) and the variables that tell that vendor's runtime which devices an attempt may see.
public static class ChipVendors
{
    public const string Nvidia = "nvidia";
    public const string Ascend = "ascend";
    public const string Amd = "amd";
    public const string Cambricon = "cambricon";
    public const string Habana = "habana";

    public static string Of(string model) => model.ToLowerInvariant() switch
    {
        var m when m.StartsWith("nvidia", StringComparison.Ordinal) || m.StartsWith("jetson", StringComparison.Ordinal) => Nvidia,
        var m when m.StartsWith("ascend", StringComparison.Ordinal) || m.StartsWith("huawei", StringComparison.Ordinal) => Ascend,
        var m when m.StartsWith("amd", StringComparison.Ordinal) || m.StartsWith("instinct", StringComparison.Ordinal) => Amd,
        var m when m.StartsWith("cambricon", StringComparison.Ordinal) || m.StartsWith("mlu", StringComparison.Ordinal) => Cambricon,
        var m when m.StartsWith("gaudi", StringComparison.Ordinal) || m.StartsWith("habana", StringComparison.Ordinal) => Habana,
        var m => m.Split('-')[0],
    };

    public static IReadOnlyList<string> VisibleDeviceVariables(string vendor) => vendor switch
    {
        Nvidia => ["CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"],
        Ascend => ["ASCEND_RT_VISIBLE_DEVICES", "ASCEND_VISIBLE_DEVICES"],
        Amd => ["HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"],
        Cambricon => ["MLU_VISIBLE_DEVICES"],
        Habana => ["HABANA_VISIBLE_MODULES"],
        _ => [],
    };

    // What an attempt's environment says about chips: its own indices for its vendor, and no CUDA
    // device at all otherwise (CUDA_VISIBLE_DEVICES="" hides every NVIDIA GPU from it), so an
    // attempt that asked for no chips, or for another vendor's, cannot pick up the host's GPUs.
    public static IReadOnlyDictionary<string, string> EnvironmentFor(ChipAllocator.Grant? grant)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["CUDA_VISIBLE_DEVICES"] = "" };
        if (grant is null) return env;
        foreach (var name in VisibleDeviceVariables(grant.Vendor)) env[name] = grant.IndexList;
        // CUDA numbers devices fastest first unless told otherwise, nvidia-smi (and so the
        // detected indices) by PCI bus: on a host with mixed GPUs the same number would name
        // another card. PCI_BUS_ID makes CUDA_VISIBLE_DEVICES mean the cards this attempt owns.
        if (grant.Vendor == Nvidia) env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        env["ACTORGRID_CHIP_MODEL"] = grant.Model;
        env["ACTORGRID_CHIP_INDICES"] = grant.IndexList;
        return env;
    }
}
