using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;

namespace ActorGrid.Grid.Tests.Infrastructure;

/// <summary>
/// One real <c>ActorGrid.Node</c> host in its own OS process. Multi-host tests
/// need real processes: only they can be SIGKILLed like a crashed machine, and
/// only they exercise the command-line contract users rely on.
/// </summary>
public sealed class GridProcess : IAsyncDisposable
{
    /// <summary>The node is a project reference, so the build copies it beside the test assembly.</summary>
    public static string NodeDll => Path.Combine(AppContext.BaseDirectory, "ActorGrid.Node.dll");

    private const int MaxLogLines = 5000;
    private const int FailureTailLines = 60;

    private readonly Process _process;
    private readonly Queue<string> _logs = new();
    private readonly object _logGate = new();
    private readonly StreamWriter _logFile;
    private readonly HttpClient _probe;
    private bool _logClosed;

    /// <summary>Name used in log lines and failure messages, e.g. "host-a".</summary>
    public string Name { get; }
    public int Pid { get; }
    /// <summary>The host's HTTP address: from <c>--http</c>, else the node's default 127.0.0.1:8080.</summary>
    public Uri HttpBase { get; }
    /// <summary>Full log on disk, kept after the test for post-mortem reading.</summary>
    public string LogFilePath { get; }
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The most recent stdout/stderr lines (stderr prefixed "[err] "), oldest first.</summary>
    public IReadOnlyList<string> Logs
    {
        get { lock (_logGate) return _logs.ToArray(); }
    }

    private GridProcess(string name, Process process, Uri httpBase, string logFilePath, StreamWriter logFile)
    {
        Name = name;
        _process = process;
        Pid = process.Id;
        HttpBase = httpBase;
        LogFilePath = logFilePath;
        _logFile = logFile;
        // The probe must not go through an HTTP proxy a CI machine may have configured.
        _probe = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(3) };
    }

    /// <summary>
    /// Starts <c>dotnet ActorGrid.Node.dll args…</c> in <paramref name="workDirectory"/>.
    /// </summary>
    /// <param name="name">short label, also the log file name (<c>{workDirectory}/{name}.log</c>)</param>
    /// <param name="args">node options, e.g. <c>--roles worker --port 4054 …</c></param>
    /// <param name="adminToken">always exported as ACTORGRID_ADMIN_TOKEN so tests know the operator token</param>
    /// <param name="workDirectory">the process's current directory (so a default ./data lands there) and log location</param>
    /// <param name="environment">extra variables; a null value removes an inherited one</param>
    public static GridProcess Start(
        string name,
        IEnumerable<string> args,
        string adminToken,
        string workDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        bool verbose = true)
    {
        var argList = args.ToList();
        // Test hosts log Akka's INFO lines too (placements, attempts, membership): a failed spec is
        // diagnosed from its hosts' logs. ConsoleSpecs, which checks the default console, opts out.
        if (verbose && !argList.Contains("--verbose")) argList.Add("--verbose");
        if (!File.Exists(NodeDll))
            throw new FileNotFoundException(
                $"{NodeDll} is missing; the test project must reference src/ActorGrid.Node.", NodeDll);
        var runtimeConfig = Path.ChangeExtension(NodeDll, ".runtimeconfig.json");
        if (!File.Exists(runtimeConfig))
            throw new FileNotFoundException(
                $"{runtimeConfig} is missing, so 'dotnet ActorGrid.Node.dll' cannot start; " +
                "the SDK copies it for referenced Exe projects, check the ProjectReference.", runtimeConfig);

        Directory.CreateDirectory(workDirectory);
        var psi = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // no terminal: the node must not wait on a console
        };
        psi.ArgumentList.Add(NodeDll);
        foreach (var a in argList) psi.ArgumentList.Add(a);

        // Inherited ASP.NET URL settings would override --http and make hosts fight over a port.
        foreach (var v in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
            psi.Environment.Remove(v);
        psi.Environment["ACTORGRID_ADMIN_TOKEN"] = adminToken;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
            foreach (var (key, value) in environment)
                if (value is null) psi.Environment.Remove(key);
                else psi.Environment[key] = value;

        var logPath = Path.Combine(workDirectory, $"{name}.log");
        var logFile = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            AutoFlush = true, // a crashed test run should still leave a complete log
        };
        logFile.WriteLine($"# {DateTime.UtcNow:O} dotnet {string.Join(' ', psi.ArgumentList)}");

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        GridProcess? self = null;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) self?.Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) self?.Append("[err] " + e.Data); };
        if (!process.Start())
            throw new InvalidOperationException($"Could not start {name}: dotnet {string.Join(' ', psi.ArgumentList)}");
        self = new GridProcess(name, process, HttpBaseFrom(argList), logPath, logFile);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return self;
    }

    /// <summary>
    /// Polls <c>/readyz</c> until it answers 200. Fails fast, with the log tail in the
    /// message, when the process exits, since waiting out the timeout would only hide why.
    /// </summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var readyz = new Uri(HttpBase, "/readyz");
        var watch = Stopwatch.StartNew();
        var last = "no answer yet";
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                await DrainAsync(); // so the tail below includes its last words
                throw new InvalidOperationException(
                    $"{Name} (pid {Pid}) exited with code {_process.ExitCode} before {readyz} answered 200.\n{Tail()}");
            }
            try
            {
                using var response = await _probe.GetAsync(readyz, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { last = "request timed out"; }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException(
            $"{Name} (pid {Pid}) not ready at {readyz} after {timeout.TotalSeconds:0} s (last: {last}).\n{Tail()}");
    }

    /// <summary>SIGKILL the node and everything it started: a host crash, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // exited meanwhile
        }
        await DrainAsync();
    }

    /// <summary>
    /// A signal to the node process alone (SIGKILL = 9, SIGSTOP = 19, SIGCONT = 18), as a crash or a
    /// paused machine would deliver it: unlike <see cref="KillAsync"/> it leaves the node's
    /// children to fend for themselves, which is what fencing must handle.
    /// </summary>
    public void SignalNodeOnly(int signal)
    {
        if (SysKill(Pid, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    // WaitForExitAsync also waits for stdout/stderr to reach EOF; a grandchild that
    // inherited the pipes could hold them open, so the wait is capped.
    private async Task DrainAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) when (_process.HasExited) { }
    }

    /// <summary>
    /// SIGTERM, which the node turns into a graceful cluster leave; SIGKILL if it is
    /// still running after <paramref name="grace"/> (default 30 s).
    /// </summary>
    /// <returns>true when the node exited on its own within the grace period</returns>
    public async Task<bool> StopAsync(TimeSpan? grace = null)
    {
        if (_process.HasExited) return true;
        SendSigterm(Pid);
        using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (_process.HasExited)
        {
            return true; // exited in time; only a grandchild still held its output pipes
        }
        catch (OperationCanceledException)
        {
            Append($"[harness] no exit within {(grace ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s of SIGTERM; killing");
            await KillAsync();
            return false;
        }
    }

    /// <summary>The last <paramref name="lines"/> log lines as one string, for assertion messages.</summary>
    public string Tail(int lines = FailureTailLines)
    {
        var all = Logs;
        return $"--- last {Math.Min(lines, all.Count)} lines of {Name} (full log: {LogFilePath}) ---\n" +
               string.Join('\n', all.Skip(Math.Max(0, all.Count - lines)));
    }

    public override string ToString() => $"{Name} (pid {Pid}, {HttpBase})";

    /// <summary>Kills (not stops) a still-running node: a test that wanted a graceful leave calls StopAsync itself.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_logGate)
        {
            _logClosed = true;
            _logFile.Dispose();
        }
        _probe.Dispose();
        _process.Dispose();
    }

    private void Append(string line)
    {
        lock (_logGate)
        {
            if (_logs.Count == MaxLogLines) _logs.Dequeue();
            _logs.Enqueue(line);
            if (!_logClosed) _logFile.WriteLine(line);
        }
    }

    private static Uri HttpBaseFrom(List<string> args)
    {
        var i = args.IndexOf("--http");
        var hostPort = i >= 0 && i + 1 < args.Count ? args[i + 1] : "127.0.0.1:8080";
        return new Uri(hostPort.Contains("://", StringComparison.Ordinal) ? hostPort : "http://" + hostPort);
    }

    // Run the node with the same dotnet that runs the tests (the SDK exports its
    // path to child processes), so a machine with several SDKs cannot mix them up.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    private static void SendSigterm(int pid)
    {
        const int sigterm = 15;
        try
        {
            SysKill(pid, sigterm); // -1 (ESRCH) just means it is already gone
            return;
        }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
        // Fallback where libc cannot be bound by that name: procps' kill(1).
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {pid}") { UseShellExecute = false });
        kill?.WaitForExit(5000);
    }
}
