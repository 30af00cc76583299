using System.Globalization;

namespace ActorGrid.Worker.Sandbox;

// The part of the cgroup tree this worker owns: one directory per controller under the node's own
// cgroup (so what attempts use is charged to the node too), with one child per live attempt.
// cgroup v1 (memory, cpu, pids hierarchies) is what this project's machines mount; v2 (one unified
// hierarchy) is used where it is the only one mounted.
public sealed class CgroupHost
{
    private const string Mount = "/sys/fs/cgroup";
    private static readonly string[] V1Controllers = ["memory", "cpu", "pids"];
    private readonly IReadOnlyList<string> _bases; // v1: one per controller; v2: one

    private CgroupHost(int version, IReadOnlyList<string> bases)
    {
        Version = version;
        _bases = bases;
    }

    public int Version { get; }

    // Finds and creates this process's base directories, or says why it cannot.
    public static CgroupHost? TryCreate(out string why)
    {
        try
        {
            var own = File.ReadAllLines("/proc/self/cgroup");
            var leaf = "actorgrid-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            if (V1Controllers.All(c => File.Exists(Path.Combine(Mount, c, "cgroup.procs"))))
            {
                var bases = new List<string>();
                foreach (var controller in V1Controllers)
                {
                    // Lines read "4:memory:/some/path"; a controller may share a line ("2:cpu,cpuacct:/").
                    var path = own.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1].Split(',').Contains(controller))?[2] ?? "/";
                    bases.Add(Prepare(Path.Combine(Mount, controller) + path.TrimEnd('/'), leaf));
                }
                why = "";
                return new CgroupHost(1, bases);
            }
            if (File.Exists(Path.Combine(Mount, "cgroup.controllers")))
            {
                var path = own.Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[0] == "0")?[2] ?? "/";
                var parent = Mount + path.TrimEnd('/');
                // v2 lets a cgroup hand controllers to children only while it holds no processes
                // itself, so this process first moves into a leaf of its own.
                var self = Prepare(parent, leaf + "-node");
                File.WriteAllText(Path.Combine(self, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+memory +cpu +pids");
                var attempts = Prepare(parent, leaf);
                File.WriteAllText(Path.Combine(attempts, "cgroup.subtree_control"), "+memory +cpu +pids");
                why = "";
                return new CgroupHost(2, [attempts]);
            }
            why = "no cgroup hierarchy with the memory, cpu and pids controllers is mounted under /sys/fs/cgroup";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            why = "cgroups cannot be written by this process (" + ex.Message + ")";
            return null;
        }
    }

    private static string Prepare(string parent, string leaf)
    {
        // A node killed with SIGKILL leaves its directory behind; its attempts died with it.
        foreach (var stale in Directory.EnumerateDirectories(parent, "actorgrid-*"))
        {
            var pid = Path.GetFileName(stale)["actorgrid-".Length..].Split('-')[0];
            if (int.TryParse(pid, out var p) && p != Environment.ProcessId && !Directory.Exists("/proc/" + p)) RemoveTree(stale);
        }
        var dir = Path.Combine(parent, leaf);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public AttemptCgroup Create(string name, double cpu, long memoryMiB, int pidsMax)
    {
        var dirs = _bases.Select(b => Path.Combine(b, name)).ToList();
        foreach (var dir in dirs)
        {
            if (Directory.Exists(dir)) AttemptCgroup.Empty(dir);
            Directory.CreateDirectory(dir);
        }
        var bytes = (memoryMiB * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        var period = 100_000;
        var quota = Math.Max(1000, (long)Math.Ceiling(cpu * period)).ToString(CultureInfo.InvariantCulture);
        var pids = pidsMax.ToString(CultureInfo.InvariantCulture);
        if (Version == 1)
        {
            Write(dirs[0], "memory.limit_in_bytes", bytes);
            // Swap counts as memory: a limit the attempt could page around is no limit.
            if (File.Exists(Path.Combine(dirs[0], "memory.memsw.limit_in_bytes"))) Write(dirs[0], "memory.memsw.limit_in_bytes", bytes);
            Write(dirs[1], "cpu.cfs_period_us", period.ToString(CultureInfo.InvariantCulture));
            Write(dirs[1], "cpu.cfs_quota_us", quota);
            Write(dirs[2], "pids.max", pids);
        }
        else
        {
            Write(dirs[0], "memory.max", bytes);
            if (File.Exists(Path.Combine(dirs[0], "memory.swap.max"))) Write(dirs[0], "memory.swap.max", "0");
            Write(dirs[0], "cpu.max", $"{quota} {period}");
            Write(dirs[0], "pids.max", pids);
        }
        return new AttemptCgroup(Version, dirs);
    }

    private static void Write(string dir, string file, string value) => File.WriteAllText(Path.Combine(dir, file), value);

    private static void RemoveTree(string dir)
    {
        try
        {
            foreach (var child in Directory.EnumerateDirectories(dir)) RemoveTree(child);
            AttemptCgroup.Empty(dir);
            Directory.Delete(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still busy; the next start tries again.
        }
    }
}

// One attempt's cgroup: its limits, what the kernel counted against them, and a way to make sure
// nothing of it is left running.
public sealed class AttemptCgroup(int version, IReadOnlyList<string> dirs)
{
    // Where the launcher writes its own pid before it execs the sandbox, one file per hierarchy.
    public IReadOnlyList<string> ProcsFiles => [.. dirs.Select(d => Path.Combine(d, "cgroup.procs"))];

    // How often the kernel's OOM killer struck, and how often a fork was refused by pids.max.
    public (long OomKills, long PidsRefused) Counters()
    {
        var memory = version == 1 ? Field(dirs[0], "memory.oom_control", "oom_kill") : Field(dirs[0], "memory.events", "oom_kill");
        var pids = version == 1 ? Field(dirs[2], "pids.events", "max") : Field(dirs[0], "pids.events", "max");
        return (memory, pids);
    }

    // Kills whatever is still in the cgroup and removes it. Called once the launcher has exited.
    public void Destroy()
    {
        foreach (var dir in dirs)
        {
            try
            {
                Empty(dir);
                Directory.Delete(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A process stuck in the kernel keeps it busy; the host's next start removes it.
            }
        }
    }

    internal static void Empty(string dir)
    {
        var procs = Path.Combine(dir, "cgroup.procs");
        for (var round = 0; round < 50 && File.Exists(procs); round++)
        {
            var pids = File.ReadAllLines(procs).Where(l => l.Length > 0).ToList();
            if (pids.Count == 0) return;
            foreach (var pid in pids)
            {
                try
                {
                    using var p = System.Diagnostics.Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                    p.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or FormatException)
                {
                    // Gone already.
                }
            }
            Thread.Sleep(20);
        }
    }

    private static long Field(string dir, string file, string key)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) return 0;
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var n)) return n;
        }
        return 0;
    }
}
