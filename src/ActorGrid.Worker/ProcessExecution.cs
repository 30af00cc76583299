using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker.Sandbox;

namespace ActorGrid.Worker;

// What one attempt of a `process` task runs: Command[0] is the executable, the rest its arguments.
// Env is added to the worker's own environment, or is the whole environment when
// InheritEnvironment is off. A Timeout of zero or less means none. With a Lease, the command is a
// LeaseGuard: its stdin stays open and carries a renewal while the lease is held. StopGrace is how
// long a graceful stop (the `terminate` token of RunAsync) waits after SIGTERM before it kills.
public sealed record ProcessLaunch(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env,
    string? WorkingDirectory,
    TimeSpan Timeout)
{
    public AttemptLease? Lease { get; init; }

    public bool InheritEnvironment { get; init; } = true;

    public TimeSpan StopGrace { get; init; }
}

// One progress line the process printed, e.g. {"progress":0.4,"metrics":{"loss":0.31}}.
public sealed record ProcessProgress(double? Progress, IReadOnlyDictionary<string, double>? Metrics);

// How the attempt ended. Outcome is one of AttemptOutcomes; ExitCode is null when the process never
// started or was killed; Pid is null when it never started.
public sealed record ProcessOutcome(
    string Outcome,
    int? ExitCode,
    string? Reason,
    string StdoutTail,
    string StderrTail,
    int? Pid);

// Runs one attempt as a real OS process and waits for it: no shell, bounded memory for its output,
// and on timeout or cancellation the whole process tree is killed so nothing keeps burning the host.
// A graceful stop (`terminate`) sends SIGTERM to the process first (a LeaseGuard passes it to the
// attempt's process group) and kills the tree only when it is still there after launch.StopGrace;
// `cancel` and the timeout always kill at once, also during a grace under way.
// Plain async code with no actor in it, so the worker agent can PipeTo its result.
public static class ProcessExecution
{
    public const int TailBytes = 4096;

    // Lines longer than this are never progress samples; they go straight to the tail unparsed,
    // so a process printing one endless line cannot make us buffer it.
    private const int MaxProgressLineChars = 64 * 1024;

    // After the process exits, its output pipes close once every process holding them has gone.
    // A daemon the task left behind may hold them forever, so we wait this long and no longer.
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(5);

    // SIGKILL is not refusable, but a process stuck in uninterruptible I/O may take a moment to go.
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    public static async Task<ProcessOutcome> RunAsync(
        ProcessLaunch launch,
        Action<int> onStarted,
        Action<ProcessProgress> onProgress,
        CancellationToken cancel,
        CancellationToken terminate = default)
    {
        if (launch.Command.Count == 0 || string.IsNullOrWhiteSpace(launch.Command[0]))
            return new ProcessOutcome(AttemptOutcomes.Failed, null, "the command is empty", "", "", null);
        if (cancel.IsCancellationRequested)
            return new ProcessOutcome(AttemptOutcomes.Cancelled, null, "cancelled before it started", "", "", null);
        if (terminate.IsCancellationRequested)
            return new ProcessOutcome(AttemptOutcomes.Cancelled, null, "stopped before it started", "", "", null);

        // Without an explicit directory each run gets a fresh, empty one: attempts must not see each
        // other's leftovers, and a task must not scribble into the worker's own directory (where its
        // journal and data may live). It is removed afterwards: nothing reads it once the run is over.
        string? scratch = null;
        var workingDirectory = launch.WorkingDirectory;
        if (workingDirectory is null)
        {
            scratch = Path.Combine(Path.GetTempPath(), "actorgrid-run-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(scratch);
            workingDirectory = scratch;
        }

        try
        {
            return await RunInAsync(launch, workingDirectory, onStarted, onProgress, cancel, terminate).ConfigureAwait(false);
        }
        finally
        {
            if (scratch is not null) TryDeleteDirectory(scratch);
        }
    }

    private static async Task<ProcessOutcome> RunInAsync(
        ProcessLaunch launch,
        string workingDirectory,
        Action<int> onStarted,
        Action<ProcessProgress> onProgress,
        CancellationToken cancel,
        CancellationToken terminate)
    {
        var executable = launch.Command[0];
        var psi = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            CreateNoWindow = true,
        };
        foreach (var arg in launch.Command.Skip(1)) psi.ArgumentList.Add(arg);
        if (!launch.InheritEnvironment) psi.Environment.Clear();
        foreach (var (key, value) in launch.Env) psi.Environment[key] = value;

        if (!Directory.Exists(workingDirectory))
            return new ProcessOutcome(AttemptOutcomes.Failed, null, $"the working directory '{workingDirectory}' does not exist", "", "", null);

        // An attempt started without a held lease would get no renewal, and its guard would kill
        // it after guard-silence as if this worker were lost: seen on loaded hosts whose first
        // heartbeat answer (or the one after a quiet spell) was still on its way when the start came.
        // It waits for the answer instead, and does not start at all if none comes: then placement
        // may already count this node as lost.
        if (launch.Lease is { } held && !held.IsHeld(DateTimeOffset.UtcNow)
            && !await held.WhenHeldAsync(held.Timeout, cancel).ConfigureAwait(false))
            return cancel.IsCancellationRequested
                ? new ProcessOutcome(AttemptOutcomes.Cancelled, null, "cancelled before it started", "", "", null)
                : new ProcessOutcome(AttemptOutcomes.NodeLost, null,
                    $"not started: placement did not renew this worker's lease within {held.Timeout.TotalSeconds:0.#}s", "", "", null);

        using var process = new Process { StartInfo = psi };
        try
        {
            if (!process.Start())
                return new ProcessOutcome(AttemptOutcomes.Failed, null, $"could not start '{executable}'", "", "", null);
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or UnauthorizedAccessException
                                       or InvalidOperationException or ArgumentException or PlatformNotSupportedException)
        {
            // Win32Exception's own message repeats the command and directory; the OS error alone reads better.
            var why = ex is Win32Exception win32 ? new Win32Exception(win32.NativeErrorCode).Message : ex.Message;
            return new ProcessOutcome(AttemptOutcomes.Failed, null, $"could not start '{executable}': {why}", "", "", null);
        }

        var pid = process.Id;
        var stdout = new OutputTail(TailBytes);
        var stderr = new OutputTail(TailBytes);
        var observers = new ObserverGuard();
        Task drained = Task.CompletedTask;
        var exited = false;
        IDisposable? renewals = null;
        try
        {
            if (launch.Lease is { } lease)
                renewals = LeaseRenewals.Register(process.StandardInput.BaseStream, lease);
            else
            {
                // A task reading stdin gets end-of-file instead of waiting on the worker's own stdin.
                try
                {
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // It already exited and closed its end.
                }
            }

            // Before the readers start, so the caller hears of the start before any progress.
            observers.Invoke(() => onStarted(pid));

            var outReader = PumpAsync(process.StandardOutput, stdout, line =>
            {
                if (TryParseProgress(line) is not { } progress) return false;
                observers.Invoke(() => onProgress(progress));
                return true;
            });
            var errReader = PumpAsync(process.StandardError, stderr, _ => false);
            drained = Task.WhenAll(outReader, errReader);

            string outcome;
            string? reason;
            int? exitCode = null;
            using (var timeout = IsBounded(launch.Timeout) ? new CancellationTokenSource(launch.Timeout) : new CancellationTokenSource())
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token, observers.Failed))
            using (var stopOrTerminate = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, terminate))
            {
                try
                {
                    await process.WaitForExitAsync(stopOrTerminate.Token).ConfigureAwait(false);
                    exited = true;
                    exitCode = process.ExitCode;
                    outcome = exitCode == 0 ? AttemptOutcomes.Succeeded : AttemptOutcomes.Failed;
                    reason = exitCode == 0 ? null : exitCode > 128 && exitCode < 128 + 65
                        ? $"exited with code {exitCode} (killed by signal {exitCode - 128}{SignalName(exitCode.Value - 128)})"
                        : $"exited with code {exitCode}";
                }
                catch (OperationCanceledException) when (stopOrTerminate.IsCancellationRequested)
                {
                    var graced = !stop.IsCancellationRequested && launch.StopGrace > TimeSpan.Zero
                        ? await TerminateAsync(process, launch.StopGrace, stop.Token).ConfigureAwait(false)
                        : null;
                    exited = graced is { Exited: true } || await KillTreeAsync(process).ConfigureAwait(false);
                    if (graced is not null && !stop.IsCancellationRequested)
                    {
                        outcome = AttemptOutcomes.Cancelled;
                        exitCode = graced.Exited ? process.ExitCode : null;
                        reason = graced.Exited
                            ? $"stopped with SIGTERM: it exited (code {exitCode}) {Seconds(graced.Took)}s later, within its {Seconds(launch.StopGrace)}s grace"
                            : $"stopped with SIGTERM: still running after its {Seconds(launch.StopGrace)}s grace, so killed";
                    }
                    else if (cancel.IsCancellationRequested || observers.Failed.IsCancellationRequested)
                    {
                        outcome = AttemptOutcomes.Cancelled;
                        reason = "cancelled";
                    }
                    else if (!timeout.IsCancellationRequested)
                    {
                        outcome = AttemptOutcomes.Cancelled;
                        reason = "stopped at once (no grace)";
                    }
                    else
                    {
                        outcome = AttemptOutcomes.TimedOut;
                        reason = "timed out after " + launch.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
                    }
                }
            }

            await WaitDrainedAsync(drained).ConfigureAwait(false);
            observers.Close();
            observers.ThrowIfFailed();
            return new ProcessOutcome(outcome, exitCode, reason, stdout.ToString(), stderr.ToString(), pid);
        }
        finally
        {
            renewals?.Dispose();
            // Reached with the process alive only when something unexpected threw: the attempt is
            // being abandoned, so it must not outlive this call.
            if (!exited && !SafeHasExited(process))
            {
                await KillTreeAsync(process).ConfigureAwait(false);
                await WaitDrainedAsync(drained).ConfigureAwait(false);
            }
            observers.Close();
        }
    }

    // SIGTERM, then up to `grace` for the process to exit on its own. Returns early (not exited)
    // when `stop` asks for the kill meanwhile.
    private static async Task<Graced> TerminateAsync(Process process, TimeSpan grace, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        SendSignal(process.Id, SigTerm); // fails only when it has just exited, which the wait sees
        using var within = CancellationTokenSource.CreateLinkedTokenSource(stop);
        within.CancelAfter(grace);
        try
        {
            await process.WaitForExitAsync(within.Token).ConfigureAwait(false);
            return new Graced(true, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return new Graced(false, clock.Elapsed);
        }
    }

    private sealed record Graced(bool Exited, TimeSpan Took);

    private const int SigTerm = 15;

    // Process.Kill sends only SIGKILL; a catchable signal goes through libc.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    // A shell reports a child killed by signal n as 128+n; the names a reader looks for.
    private static string SignalName(int signal) => signal switch
    {
        6 => ", SIGABRT",
        9 => ", SIGKILL: the kernel's OOM killer, a limit, or another process",
        11 => ", SIGSEGV",
        15 => ", SIGTERM",
        _ => "",
    };

    private static bool IsBounded(TimeSpan timeout) =>
        timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan && timeout.TotalMilliseconds < uint.MaxValue - 1;

    private static async Task<bool> KillTreeAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or AggregateException or NotSupportedException)
        {
            // Already gone, or a descendant vanished while the tree was walked: nothing left to kill.
        }
        try
        {
            await process.WaitForExitAsync().WaitAsync(KillGrace).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static bool SafeHasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static async Task WaitDrainedAsync(Task drained)
    {
        try
        {
            await drained.WaitAsync(DrainGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // An orphan still holds a pipe open; the tails keep what arrived so far.
        }
    }

    // Reads one stream to its end in chunks (never ReadLine, whose line buffer is unbounded). Each
    // complete, short line is offered to `consume`; lines it does not take go to the tail.
    private static async Task PumpAsync(StreamReader reader, OutputTail tail, Func<string, bool> consume)
    {
        var buffer = new char[8192];
        var line = new StringBuilder();
        var oversized = false;
        while (true)
        {
            int read;
            try
            {
                read = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The run was abandoned to an orphan holding the pipe, and the pipe closed under us.
                return;
            }
            if (read == 0) break;

            var chunk = buffer.AsSpan(0, read);
            while (!chunk.IsEmpty)
            {
                var newline = chunk.IndexOf('\n');
                var piece = newline < 0 ? chunk : chunk[..(newline + 1)];
                chunk = newline < 0 ? [] : chunk[(newline + 1)..];

                if (oversized)
                {
                    tail.Append(piece);
                }
                else
                {
                    line.Append(piece);
                    if (line.Length > MaxProgressLineChars)
                    {
                        tail.Append(line);
                        line.Clear();
                        oversized = true;
                    }
                }

                if (newline >= 0)
                {
                    if (!oversized)
                    {
                        var text = line.ToString();
                        if (!consume(text)) tail.Append(text);
                    }
                    line.Clear();
                    oversized = false;
                }
            }
        }
        if (line.Length > 0)
        {
            var text = line.ToString();
            if (oversized || !consume(text)) tail.Append(text);
        }
    }

    // A progress line is a JSON object with a numeric "progress", an object "metrics" whose values are
    // all numbers, or both, and nothing of another shape under those keys. Anything else is plain output.
    // Progress lines are a side channel, so they are reported through the callback, not kept in the tail.
    internal static ProcessProgress? TryParseProgress(string line)
    {
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length < 2 || trimmed[0] != '{' || trimmed[^1] != '}') return null;
        try
        {
            using var doc = JsonDocument.Parse(trimmed.ToString());
            var root = doc.RootElement;
            double? progress = null;
            Dictionary<string, double>? metrics = null;

            if (root.TryGetProperty("progress", out var p))
            {
                if (p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out var value) || !double.IsFinite(value)) return null;
                progress = value;
            }
            if (root.TryGetProperty("metrics", out var m))
            {
                if (m.ValueKind != JsonValueKind.Object) return null;
                metrics = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var metric in m.EnumerateObject())
                {
                    if (metric.Value.ValueKind != JsonValueKind.Number
                        || !metric.Value.TryGetDouble(out var value) || !double.IsFinite(value)) return null;
                    metrics[metric.Name] = value;
                }
            }
            return progress is null && metrics is null ? null : new ProcessProgress(progress, metrics);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover in the temp folder is not worth failing an attempt over.
        }
    }

    // A throwing callback abandons the run: the process tree is killed (it must not outlive the call),
    // the pipes are still drained, and the first failure is rethrown once everything is cleaned up.
    private sealed class ObserverGuard
    {
        private readonly CancellationTokenSource _failed = new();
        private ExceptionDispatchInfo? _first;
        private volatile bool _closed;

        public CancellationToken Failed => _failed.Token;

        // After the run has returned, a reader still draining an orphan's pipe must not report progress.
        public void Close() => _closed = true;

        public void Invoke(Action callback)
        {
            if (_closed || Volatile.Read(ref _first) is not null) return;
            try
            {
                callback();
            }
            catch (Exception ex)
            {
                if (Interlocked.CompareExchange(ref _first, ExceptionDispatchInfo.Capture(ex), null) is null) _failed.Cancel();
            }
        }

        // Never disposed: it has no timer, and a reader left draining an orphan's pipe may still use it.
        public void ThrowIfFailed() => Volatile.Read(ref _first)?.Throw();
    }
}

// The last few KiB a stream printed. Memory stays bounded however much is written: the buffer holds
// at most twice the limit in chars and is compacted when it would overflow. Thread-safe, because the outcome may
// be read while a reader abandoned to an orphan still appends.
internal sealed class OutputTail(int limitBytes)
{
    private readonly char[] _buffer = new char[limitBytes * 2];
    private readonly object _gate = new();
    private int _length;
    private bool _startsLine = true; // whether _buffer[0] begins a line of the original stream

    public void Append(StringBuilder text)
    {
        foreach (var chunk in text.GetChunks()) Append(chunk.Span);
    }

    public void Append(string text) => Append(text.AsSpan());

    public void Append(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        lock (_gate)
        {
            if (text.Length >= _buffer.Length)
            {
                var before = text.Length > _buffer.Length ? text[^(_buffer.Length + 1)] : _length > 0 ? _buffer[_length - 1] : '\n';
                text[^_buffer.Length..].CopyTo(_buffer);
                _length = _buffer.Length;
                _startsLine = before == '\n';
                return;
            }
            if (_length + text.Length > _buffer.Length)
            {
                // Keep only what the tail can still need, so the next compaction is at least
                // limitBytes chars away and appending stays linear however short the pieces are.
                var keep = Math.Min(_length, Math.Max(0, limitBytes - text.Length));
                var drop = _length - keep;
                _startsLine = _buffer[drop - 1] == '\n';
                Array.Copy(_buffer, drop, _buffer, 0, keep);
                _length = keep;
            }
            text.CopyTo(_buffer.AsSpan(_length));
            _length += text.Length;
        }
    }

    // The longest suffix that fits the limit in UTF-8, starting on a line boundary when it can.
    public override string ToString()
    {
        lock (_gate)
        {
            var text = _buffer.AsSpan(0, _length);
            var start = text.Length;
            var bytes = 0;
            while (start > 0)
            {
                var width = start >= 2 && char.IsLowSurrogate(text[start - 1]) && char.IsHighSurrogate(text[start - 2]) ? 2 : 1;
                var size = Encoding.UTF8.GetByteCount(text.Slice(start - width, width));
                if (bytes + size > limitBytes) break;
                bytes += size;
                start -= width;
            }

            var atLineStart = start == 0 ? _startsLine : text[start - 1] == '\n';
            if (!atLineStart)
            {
                // The suffix begins mid-line: drop that partial line if a whole one follows it.
                var newline = text[start..].IndexOf('\n');
                if (newline >= 0 && start + newline + 1 < text.Length) start += newline + 1;
            }
            return new string(text[start..]);
        }
    }
}
