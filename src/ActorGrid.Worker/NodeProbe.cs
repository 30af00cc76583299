using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Worker;

// Describes the machine the worker runs on when no descriptor file was given: cores, memory and
// NVIDIA GPUs. Detection never throws; what cannot be found is reported as absent.
public static class NodeProbe
{
    public const string DefaultSite = "local";
    public const string DefaultZone = "local";

    private static readonly TimeSpan NvidiaSmiTimeout = TimeSpan.FromSeconds(15);

    public static NodeDescriptor Detect(
        NodeId id,
        string tier = Tiers.Edge,
        string site = DefaultSite,
        string zone = DefaultZone) =>
        new(id, tier, site, zone, DetectCpu(), DetectMemoryMiB(), DetectChips(), 0m, 0m, new Dictionary<string, string>());

    // Honours the container's CPU limit: .NET folds cgroup quotas into ProcessorCount.
    public static double DetectCpu() => Environment.ProcessorCount;

    public static long DetectMemoryMiB()
    {
        var physical = ReadMemTotalMiB();
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024);
        // /proc/meminfo shows the host's memory even inside a container; the GC's figure honours the
        // cgroup limit. Advertising more than we may use would let placement overbook this node.
        if (physical is > 0 && available > 0) return Math.Min(physical.Value, available);
        return physical is > 0 ? physical.Value : Math.Max(available, 1);
    }

    public static IReadOnlyList<ChipSet> DetectChips()
    {
        var smi = FindOnPath("nvidia-smi");
        if (smi is null) return [];
        var csv = RunQuietly(smi, "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits");
        return csv is null ? [] : ParseNvidiaSmi(csv);
    }

    // Lines of "<index>, <name>, <memory MiB>", e.g. "0, NVIDIA H100 80GB HBM3, 81559" (the index
    // may be left out: then cards are numbered in the order listed). Cards of one model are grouped
    // into one chip set named as chip profiles and tasks name models (NvidiaModelName) and carrying
    // the cards' indices, which on a host with mixed models are not consecutive; if their memory
    // differs the smallest is kept, since a task placed on the set may land on any of them. Lines
    // that do not parse are skipped.
    public static IReadOnlyList<ChipSet> ParseNvidiaSmi(string csv)
    {
        var cards = new List<(int Index, string Model, long MemoryMiB)>();
        foreach (var raw in csv.Split('\n'))
        {
            var fields = raw.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length is < 2 or > 3) continue;
            var index = cards.Count;
            if (fields.Length == 3 && !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out index)) continue;
            var name = fields[^2];
            if (name.Length == 0
                || !long.TryParse(fields[^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var memory)
                || memory <= 0) continue;
            cards.Add((index, NvidiaModelName(name), memory));
        }
        return [.. cards
            .GroupBy(c => c.Model, StringComparer.Ordinal)
            .Select(g => new ChipSet(g.Key, g.Count(), g.Min(c => c.MemoryMiB), [.. g.Select(c => c.Index).Order()]))];
    }

    // nvidia-smi's product name as chip profiles, descriptors and tasks' requirements name models:
    // "NVIDIA H100 80GB HBM3" → nvidia-h100, "NVIDIA A100-SXM4-40GB" → nvidia-a100, "Tesla T4" →
    // nvidia-t4, "NVIDIA L40S" → nvidia-l40s, a Jetson's "Orin (nvgpu)" → jetson-orin. The model is
    // the first word of letters then digits (a100, h100, l4, a6000); a name without one becomes
    // its words joined ("NVIDIA GeForce RTX 4090" → nvidia-geforce-rtx-4090).
    public static string NvidiaModelName(string name)
    {
        var words = name.ToLowerInvariant()
            .Split([' ', '-', '_', '(', ')'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("nvidia" or "tesla"))
            .ToList();
        if (words.Contains("orin") || words.Contains("xavier")) return "jetson-" + (words.Contains("orin") ? "orin" : "xavier");
        var model = words.FirstOrDefault(IsModelWord);
        return "nvidia-" + (model ?? string.Join('-', words.Where(w => w.All(char.IsAsciiLetterOrDigit))));
    }

    private static bool IsModelWord(string word)
    {
        var letters = word.TakeWhile(char.IsAsciiLetterLower).Count();
        return letters is > 0 and <= 2 && word.Length > letters && word.Skip(letters).All(char.IsAsciiLetterOrDigit) && char.IsAsciiDigit(word[letters]);
    }

    private static long? ReadMemTotalMiB()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var parts = line["MemTotal:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib)
                    ? kib / 1024
                    : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path)) return null;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
                if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
            }
            catch (ArgumentException)
            {
                // A malformed PATH entry: skip it.
            }
        }
        return null;
    }

    // The tool's stdout, or null when it cannot start, fails or hangs (a wedged driver can hang it).
    private static string? RunQuietly(string executable, params string[] args)
    {
        var psi = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(psi);
            if (process is null) return null;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(NvidiaSmiTimeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or AggregateException)
                {
                }
                return null;
            }
            return process.ExitCode == 0 && stdout.Wait(NvidiaSmiTimeout) && stderr.Wait(NvidiaSmiTimeout) ? stdout.Result : null;
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or InvalidOperationException
                                       or UnauthorizedAccessException or AggregateException)
        {
            return null;
        }
    }
}
