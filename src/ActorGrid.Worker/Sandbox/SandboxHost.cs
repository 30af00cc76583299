using System.Diagnostics;
using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker.Bundles;

namespace ActorGrid.Worker.Sandbox;

// What this host can do to contain an attempt, found once at start, and the directories attempts
// live in. Levels:
//   on          — root: a uid of the attempt's own (setpriv), user/mount/pid/ipc/uts namespaces with a
//                 read-only system view and a private /tmp (bubblewrap), memory/cpu/pids limits (cgroups);
//   namespaces  — not root: bubblewrap's namespaces as the node's own uid, limits not enforced;
//   off         — set by the operator: attempts run as the node's user with no isolation;
//   unavailable — none of the above works here, so tenant tasks are refused.
public sealed class SandboxHost
{
    public const string On = "on";
    public const string Namespaces = "namespaces";
    public const string Off = "off";
    public const string Unavailable = "unavailable";

    // Where worker processes on one machine claim attempt uids from each other (see UidPool).
    public const string UidLockDirectory = "/var/lib/actorgrid/uids";

    // Inside the sandbox, the attempt's own directories are always here.
    public const string WorkMount = "/work";
    public const string CheckpointMount = "/checkpoint";
    public const string OutputMount = "/output";

    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly IsolationSettings _settings;
    private readonly CgroupHost? _cgroups;
    private readonly string _bash;
    private readonly string? _bwrap;
    private readonly string? _setpriv;

    private SandboxHost(IsolationSettings settings, string level, string? why, string root, CgroupHost? cgroups, string bash, string? bwrap, string? setpriv)
    {
        _settings = settings;
        Level = level;
        WhyNot = why;
        _cgroups = cgroups;
        _bash = bash;
        _bwrap = bwrap;
        _setpriv = setpriv;
        CheckpointRoot = Path.Combine(root, "checkpoints");
        RunsRoot = Path.Combine(root, "runs");
        BundleCacheRoot = Path.Combine(root, "bundles");
    }

    public string Level { get; }

    // Why the level is what it is, for the log and for refused bids.
    public string? WhyNot { get; }

    public bool Refuses => Level == Unavailable;

    public bool Isolates => Level is On or Namespaces;

    public string CheckpointRoot { get; }

    public string RunsRoot { get; }

    // The worker's cache of fetched bundles: only the node reads it (0700), attempts see their own
    // unpacked copy in their run directory.
    public string BundleCacheRoot { get; }

    public static SandboxHost Detect(IsolationSettings settings, string dataDirectory)
    {
        var root = settings.Root ?? DefaultRoot(dataDirectory);
        var bash = Which("bash") ?? "/bin/bash";
        if (settings.Mode == IsolationSettings.Off)
            return Prepared(new SandboxHost(settings, Off, "actorgrid.workers.sandbox = off", root, null, bash, null, null));
        if (!OperatingSystem.IsLinux())
            return Prepared(new SandboxHost(settings, Unavailable, "attempts can be sandboxed only on Linux", root, null, bash, null, null));
        var bwrap = Which(settings.Bwrap);
        if (bwrap is null)
            return Prepared(new SandboxHost(settings, Unavailable, $"bubblewrap ('{settings.Bwrap}') is not installed (apt-get install bubblewrap)", root, null, bash, null, null));
        if (!Environment.IsPrivilegedProcess)
        {
            var userOnly = new SandboxHost(settings, Namespaces,
                "the node does not run as root, so attempts keep its uid and their declared resources are not enforced", root, null, bash, bwrap, null);
            return Prepared(userOnly).Trial();
        }
        var setpriv = Which(settings.Setpriv);
        if (setpriv is null)
            return Prepared(new SandboxHost(settings, Unavailable, $"setpriv ('{settings.Setpriv}', from util-linux) is not installed", root, null, bash, bwrap, null));
        var cgroups = CgroupHost.TryCreate(out var why);
        if (cgroups is null)
            return Prepared(new SandboxHost(settings, Unavailable, why, root, null, bash, bwrap, setpriv));
        return Prepared(new SandboxHost(settings, On, $"uid per attempt, namespaces, cgroup v{cgroups.Version} limits", root, cgroups, bash, bwrap, setpriv)).Trial();
    }

    // Attempts run as other uids, which must be able to walk down to their own directories: the
    // node's data directory is 0700, so a root node keeps them under /var/lib/actorgrid instead,
    // one folder per data directory (several nodes may share a machine). A node that is not
    // root runs attempts as itself and keeps them beside its data.
    private static string DefaultRoot(string dataDirectory)
    {
        var data = Path.GetFullPath(dataDirectory).TrimEnd('/');
        if (!Environment.IsPrivilegedProcess) return data + ".attempts";
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(data)))[..16];
        return Path.Combine("/var/lib/actorgrid/attempts", hash);
    }

    // The roots are only traversable by other users: each attempt's own directories below are 0700 and its uid's.
    private static SandboxHost Prepared(SandboxHost host)
    {
        var privileged = Environment.IsPrivilegedProcess;
        var root = Path.GetDirectoryName(host.CheckpointRoot)!;
        var dirs = new List<string> { root, host.CheckpointRoot, host.RunsRoot };
        if (privileged && root.StartsWith("/var/lib/actorgrid/", StringComparison.Ordinal)) dirs.InsertRange(0, ["/var/lib/actorgrid", "/var/lib/actorgrid/attempts"]);
        foreach (var dir in dirs)
        {
            Directory.CreateDirectory(dir);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(dir, privileged
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.CreateDirectory(host.BundleCacheRoot);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(host.BundleCacheRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return host;
    }

    // Runs `true` the way every attempt will run, so a kernel that forbids user namespaces (or a
    // bubblewrap that cannot mount) is found now rather than on a tenant's first task.
    private SandboxHost Trial()
    {
        var dir = Path.Combine(RunsRoot, "trial-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(dir);
            var uid = _settings.UidRangeStart;
            if (Level == On) Chown(dir, uid, recursive: false).GetAwaiter().GetResult();
            var argv = SandboxArgv(uid, dir, null, null, ["true"]);
            var psi = new ProcessStartInfo(argv[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
            psi.Environment.Clear();
            psi.Environment["PATH"] = DefaultPath;
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(15_000))
            {
                p.Kill(true);
                return Demoted("bubblewrap did not finish a trial run within 15 s");
            }
            return p.ExitCode == 0 ? this : Demoted($"a trial run in bubblewrap failed: {err.Result.Trim()}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Demoted("a trial run in bubblewrap could not start: " + ex.Message);
        }
        finally
        {
            try { Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private SandboxHost Demoted(string why) =>
        new(_settings, Unavailable, why, Path.GetDirectoryName(CheckpointRoot)!, null, _bash, null, null);

    // The checkpoint directory belongs to the task (it outlives attempts); the run directory to the attempt.
    public string CheckpointDirectory(TaskId task) => Path.Combine(CheckpointRoot, task.Value);

    public string RunDirectory(TaskId task, int attempt) => Path.Combine(RunsRoot, $"{task.Value}-{attempt}");

    // Where an attempt leaves what it produced (a training task's model file): the attempt's own,
    // read by the worker when the process has ended and removed with the run directory.
    public string OutputDirectory(TaskId task, int attempt) => Path.Combine(RunsRoot, $"{task.Value}-{attempt}.output");

    public string OutputPathSeen(TaskId task, int attempt) => Isolates ? OutputMount : OutputDirectory(task, attempt);

    // What the attempt is told its checkpoint directory is: a path inside the sandbox, or on the host.
    public string CheckpointPathSeen(TaskId task) => Isolates ? CheckpointMount : CheckpointDirectory(task);

    // The environment an attempt starts with: nothing of the node's own (no tokens, no paths to its
    // data), only a plain PATH, the task's own variables, and then the grid's, which win.
    public Dictionary<string, string> EnvironmentFor(IReadOnlyDictionary<string, string> taskEnv, IReadOnlyDictionary<string, string> gridEnv, string home)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Level == Off ? Environment.GetEnvironmentVariable("PATH") ?? DefaultPath : DefaultPath,
            ["HOME"] = home,
            ["TMPDIR"] = "/tmp",
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (k, v) in taskEnv) env[k] = v;
        foreach (var (k, v) in gridEnv) env[k] = v;
        return env;
    }

    // Creates the attempt's directories and cgroup, unpacks its bundle (when it has one) into the
    // run directory, and says how to launch it. Runs in the task the worker pipes back (it touches
    // the file system), never on the actor's thread. A bundle that is refused (BundleArchive's
    // rules) leaves no run directory behind.
    // A training attempt whose ranks all run here (ranksAllHere) gets a network namespace of its
    // own with only loopback (isolation.private-training-network): its rendezvous (torch's
    // TCPStore and gloo, which have no authentication) on 127.0.0.1 is then out of reach of every
    // other attempt on the host, another tenant's included. A gang across hosts needs the host's
    // network to reach its peers and keeps it.
    public async Task<PreparedAttempt> PrepareAsync(TaskId task, int attempt, int? uid, TaskSpec spec, Dictionary<string, string> env, AttemptLease lease, TimeSpan guardSilence,
        string? bundleArchive = null, long maxUnpackedBytes = long.MaxValue, bool ranksAllHere = false)
    {
        var loopbackOnly = ranksAllHere && _settings.PrivateTrainingNetwork && Isolates;
        // gloo picks its interface by the host name, which resolves to nothing in that namespace.
        if (loopbackOnly) env.TryAdd("GLOO_SOCKET_IFNAME", "lo");
        var run = RunDirectory(task, attempt);
        var checkpoint = CheckpointDirectory(task);
        var output = OutputDirectory(task, attempt);
        if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        Directory.CreateDirectory(run);
        Directory.CreateDirectory(checkpoint);
        Directory.CreateDirectory(output);
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(run, Private);
            File.SetUnixFileMode(checkpoint, Private);
            File.SetUnixFileMode(output, Private);
        }
        if (bundleArchive is not null)
        {
            try
            {
                await BundleArchive.ExtractAsync(bundleArchive, run, maxUnpackedBytes).ConfigureAwait(false);
            }
            catch
            {
                try { Directory.Delete(run, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw;
            }
        }
        var timeout = TimeSpan.FromSeconds(spec.TimeoutSeconds);
        if (!Isolates)
            return new PreparedAttempt(new ProcessLaunch(
                LeaseGuard.Wrap(_bash, guardSilence, [], spec.Command), env, spec.WorkingDirectory ?? run, timeout)
            { Lease = lease, InheritEnvironment = false }, run, null, spec.Requirements.MemoryMiB, _settings.PidsMax) { OutputDirectory = output };

        AttemptCgroup? cgroup = null;
        if (Level == On)
        {
            // What an earlier attempt (another uid) left in the checkpoint directory becomes this
            // attempt's; so does its unpacked bundle (chown -R does not follow the links in it).
            await Chown(run, uid!.Value, recursive: bundleArchive is not null).ConfigureAwait(false);
            await Chown(output, uid.Value, recursive: false).ConfigureAwait(false);
            await Chown(checkpoint, uid.Value, recursive: true).ConfigureAwait(false);
            cgroup = _cgroups!.Create($"{task.Value}-{attempt}", spec.Requirements.Cpu, spec.Requirements.MemoryMiB, _settings.PidsMax);
        }
        var argv = SandboxArgv(uid ?? 0, run, checkpoint, spec.WorkingDirectory, spec.Command, output, loopbackOnly);
        return new PreparedAttempt(new ProcessLaunch(
            LeaseGuard.Wrap(_bash, guardSilence, cgroup?.ProcsFiles ?? [], argv, sandboxed: true), env, run, timeout)
        { Lease = lease, InheritEnvironment = false }, run, cgroup, spec.Requirements.MemoryMiB, _settings.PidsMax) { OutputDirectory = output };
    }

    // setpriv drops to the attempt's uid with no capabilities and no supplementary groups; then
    // bubblewrap, unprivileged, builds the namespaces. The sandbox's init dies with the guard
    // (--die-with-parent), and with it the whole pid namespace.
    private List<string> SandboxArgv(int uid, string run, string? checkpoint, string? workingDirectory, IReadOnlyList<string> command, string? output = null,
        bool loopbackOnly = false)
    {
        var argv = new List<string>();
        if (Level == On)
        {
            var id = uid.ToString(CultureInfo.InvariantCulture);
            argv.AddRange([_setpriv!, "--reuid=" + id, "--regid=" + id, "--clear-groups", "--inh-caps=-all", "--"]);
        }
        argv.AddRange([_bwrap!, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "attempt"]);
        if (loopbackOnly) argv.Add("--unshare-net");
        foreach (var path in _settings.ReadOnlyPaths)
        {
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is { } target) argv.AddRange(["--symlink", target, path]);
            else if (info.Exists) argv.AddRange(["--ro-bind", path, path]);
        }
        argv.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", run, WorkMount]);
        if (checkpoint is not null) argv.AddRange(["--bind", checkpoint, CheckpointMount]);
        if (output is not null) argv.AddRange(["--bind", output, OutputMount]);
        foreach (var path in _settings.WritablePaths.Where(Directory.Exists)) argv.AddRange(["--bind", path, path]);
        argv.AddRange(["--chdir", workingDirectory ?? WorkMount, "--"]);
        argv.AddRange(command);
        return argv;
    }

    private static async Task Chown(string path, int uid, bool recursive)
    {
        var id = uid.ToString(CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
        if (recursive) psi.ArgumentList.Add("-R");
        psi.ArgumentList.Add("--no-dereference");
        psi.ArgumentList.Add($"{id}:{id}");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await p.WaitForExitAsync().ConfigureAwait(false);
        if (p.ExitCode != 0) throw new IOException($"could not give {path} to uid {id}: {err.Trim()}");
    }

    private static string? Which(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? name : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? DefaultPath).Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(DefaultPath.Split(':')))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

// One attempt, ready to launch; Conclude reads what its limits did and removes what it leaves.
public sealed class PreparedAttempt(ProcessLaunch launch, string runDirectory, AttemptCgroup? cgroup, long memoryMiB, int pidsMax)
{
    public ProcessLaunch Launch { get; } = launch;

    // Where the attempt was told to leave its output (ACTORGRID_OUTPUT_DIR, seen from the host).
    // Read it after the process ended and before Conclude, which removes it.
    public string? OutputDirectory { get; init; }

    // cgroup v1 has no "kill the whole group on OOM": the kernel kills one process and the rest
    // may carry on. An attempt that went over its memory has exceeded what it declared, so the
    // whole attempt is stopped once the kernel's OOM killer has struck in it.
    public IDisposable WatchMemory(CancellationTokenSource stop) =>
        cgroup is null ? new CancellationTokenSource() : new Timer(_ =>
        {
            try
            {
                if (cgroup.Counters().OomKills > 0) stop.Cancel();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                // The cgroup is being removed: the attempt is over.
            }
        }, null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));

    public ProcessOutcome Conclude(ProcessOutcome outcome)
    {
        var (oom, pids) = cgroup?.Counters() ?? (0, 0);
        cgroup?.Destroy();
        try
        {
            Directory.Delete(runDirectory, recursive: true);
            if (OutputDirectory is not null && Directory.Exists(OutputDirectory)) Directory.Delete(OutputDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort; the next attempt of the task starts with a fresh one anyway.
        }
        if (oom > 0)
            return outcome with { Outcome = AttemptOutcomes.Failed, ExitCode = null, Reason = $"out of memory: limit {memoryMiB} MiB" };
        if (outcome.Outcome == AttemptOutcomes.Succeeded) return outcome;
        if (pids > 0)
            return outcome with { Reason = $"{outcome.Reason}; the process limit ({pidsMax}) refused {pids} new processes" };
        return outcome;
    }
}
