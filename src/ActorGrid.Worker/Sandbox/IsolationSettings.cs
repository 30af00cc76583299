using Akka.Configuration;

namespace ActorGrid.Worker.Sandbox;

// actorgrid.workers in HOCON: whether attempts run sandboxed, and the sandbox's shape.
public sealed record IsolationSettings(
    string Mode,
    int UidRangeStart,
    int UidRangeSize,
    int PidsMax,
    IReadOnlyList<string> ReadOnlyPaths,
    IReadOnlyList<string> WritablePaths,
    string? Root,
    string Bwrap,
    string Setpriv,
    bool PrivateTrainingNetwork = true)
{
    public const string Auto = "auto";
    public const string Off = "off";

    public static IsolationSettings From(Config config)
    {
        var workers = config.GetConfig("actorgrid.workers");
        var mode = (workers?.GetString("sandbox", Auto) ?? Auto).Trim().ToLowerInvariant();
        if (mode is not (Auto or Off))
            throw new ConfigurationException($"actorgrid.workers.sandbox = '{mode}' is not valid; use auto (sandbox every attempt, refuse tasks where the host cannot) or off.");
        var iso = workers?.GetConfig("isolation");
        var start = iso?.GetInt("uid-range-start", 200000) ?? 200000;
        var size = iso?.GetInt("uid-range-size", 10000) ?? 10000;
        if (start < 1000 || size < 1 || (long)start + size > int.MaxValue)
            throw new ConfigurationException($"actorgrid.workers.isolation: uid range {start}+{size} must start at 1000 or above and fit in 31 bits.");
        var pids = iso?.GetInt("pids-max", 256) ?? 256;
        if (pids < 8) throw new ConfigurationException($"actorgrid.workers.isolation.pids-max = {pids} is too small to run a shell; use 8 or more.");
        var root = iso?.GetString("root", "");
        return new IsolationSettings(
            mode, start, size, pids,
            iso?.GetStringList("read-only-paths") is { Count: > 0 } ro ? [.. ro] : DefaultReadOnly,
            iso?.GetStringList("writable-paths") is { } rw ? [.. rw] : [],
            string.IsNullOrWhiteSpace(root) ? null : root,
            iso?.GetString("bwrap", "bwrap") ?? "bwrap",
            iso?.GetString("setpriv", "setpriv") ?? "setpriv",
            iso?.GetBoolean("private-training-network", true) ?? true);
    }

    private static readonly IReadOnlyList<string> DefaultReadOnly = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"];
}
