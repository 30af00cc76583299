using System.Collections.Concurrent;
using System.Globalization;

namespace ActorGrid.Worker.Sandbox;

// The process between the worker and an attempt's sandbox, so that at most one live copy of an
// attempt exists. It reads the worker's renewals on its stdin: when the worker dies (SIGKILL
// closes the pipe) or falls silent for longer than `silence` (paused with SIGSTOP, or its lease
// lapsed because placement stopped answering), it kills the sandbox, whose pid namespace takes
// every process of the attempt with it. A bash script, not a thread in the worker, because a
// stopped or dead worker runs no threads.
public static class LeaseGuard
{
    // What the guard prints on the attempt's stderr when it stops the attempt.
    public const string StoppedMessage = "actorgrid-guard: the worker stopped renewing";

    // $1 = seconds of silence tolerated, $2 = cgroup.procs files to join (':'-separated), $3 = "sandbox"
    // when the command is bubblewrap (else empty), rest = command.
    // The command's stdin is /dev/null; the guard keeps the worker's pipe on fd 3 for itself. The
    // command leads its own process group, so the guard's kill reaches it all even unsandboxed.
    // SIGTERM to the guard (a graceful stop: preemption, drain) goes on to the attempt's process
    // group, so the task's own handler can checkpoint; the worker kills the tree after the grace.
    // In the sandbox that is the group bubblewrap's init leads, in which the command runs: the init
    // ignores a TERM from outside its namespace, while bwrap itself would die of it and take the
    // namespace (and the task, mid-checkpoint) with it.
    public const string Script = """
        silence="$1"; cgroups="$2"; sandboxed="$3"; shift 3
        termed=; trap 'termed=1' TERM
        exec 3<&0
        (
          IFS=':'
          for f in $cgroups; do
            if [ -n "$f" ]; then echo "$BASHPID" > "$f" || { echo "actorgrid: could not join cgroup $f" >&2; exit 125; }; fi
          done
          exec setsid "$@"
        ) </dev/null 3<&- &
        child=$!
        forward_term() {
          termed=1
          if [ -z "$sandboxed" ]; then kill -TERM -- "-$child" 2>/dev/null; return; fi
          for stat in /proc/[0-9]*/stat; do
            read -r line 2>/dev/null < "$stat" || continue
            set -- ${line##*\) }
            if [ "$2" = "$child" ]; then kill -TERM -- "-$3" 2>/dev/null; fi
          done
        }
        trap forward_term TERM
        if [ -n "$termed" ]; then forward_term; fi
        # The worker is this guard's parent; its start time tells it apart from a later process
        # that reuses its pid. worker_alive sets $state (R, S, T for stopped, ...).
        worker=$PPID
        worker_stat() { local line; read -r line 2>/dev/null < "/proc/$worker/stat" || return 1; set -- ${line##*) }; state=$1; started=${20}; }
        worker_stat; worker_started=$started
        worker_alive() { worker_stat && [ "$started" = "$worker_started" ] && [ "$state" != Z ] && [ "$state" != X ]; }
        silence_ms=$(awk -v s="$silence" 'BEGIN { printf "%d", s * 1000 }')
        (
          renewed=0
          while :; do
            IFS= read -r -t "$silence" -u 3 _; got=$?
            [ "$got" -eq 0 ] || break
            renewed=$((renewed + 1))
          done
          if [ "$got" -gt 128 ]; then why="no renewal for ${silence}s"
          elif worker_alive; then
            # The pipe closed while the worker lives and runs: not its death (that closes the pipe
            # too, and is caught here at once) but a fault in the worker process, seen rarely under
            # load, at the start of an attempt and with nothing read. The worker itself still stops
            # the attempt when its lease lapses; the guard now watches the worker process instead
            # of its renewals: gone, or stopped for longer than the silence, stops the attempt.
            echo "actorgrid-guard: the worker's renewal pipe closed after $renewed renewal(s) while the worker (pid $worker) runs; watching the worker process instead" >&2
            paused=0
            while worker_alive; do
              if [ "$state" = T ] || [ "$state" = t ]; then paused=$((paused + 1)); else paused=0; fi
              [ $((paused * 250)) -gt "$silence_ms" ] && break
              sleep 0.25
            done
            if [ "$paused" -gt 0 ]; then why="the worker was stopped for ${silence}s"; else why="the worker process ended"; fi
          else why="the worker's pipe closed"; fi
          why="$why after $renewed renewal(s)"
          echo "actorgrid-guard: the worker stopped renewing this attempt's lease ($why); stopping it" >&2
          kill -KILL -- "-$child" "$child" 2>/dev/null
        ) </dev/null &
        watcher=$!
        exec 3<&-
        # A trapped TERM makes wait return early (>128): wait again until the child is really gone.
        rc=
        while :; do
          termed=; wait "$child" 2>/dev/null; status=$?
          if [ "$status" -eq 127 ] && [ -n "$rc" ]; then break; fi
          rc=$status
          if [ -z "$termed" ] || [ "$rc" -le 128 ]; then break; fi
        done
        kill "$watcher" 2>/dev/null
        exit "$rc"
        """;

    public static IReadOnlyList<string> Wrap(string bash, TimeSpan silence, IReadOnlyList<string> cgroupProcs, IReadOnlyList<string> command, bool sandboxed = false) =>
        [bash, "-c", Script, "actorgrid-guard",
            silence.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), string.Join(':', cgroupProcs), sandboxed ? "sandbox" : "", .. command];
}

// One thread per worker process writes a renewal to every guarded attempt whose lease is held.
// A dedicated thread rather than the thread pool: a pool starved by a busy host must not starve
// renewals into killing healthy attempts.
public static class LeaseRenewals
{
    private static readonly ConcurrentDictionary<long, (Stream Pipe, AttemptLease Lease)> Guarded = new();
    private static long _next;
    private static readonly Lazy<Thread> Renewer = new(() =>
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "actorgrid-lease-renewals" };
        thread.Start();
        return thread;
    });

    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(250);

    public static IDisposable Register(Stream pipe, AttemptLease lease)
    {
        var id = Interlocked.Increment(ref _next);
        Guarded[id] = (pipe, lease);
        _ = Renewer.Value;
        Renew(id, pipe, lease);
        return new Registration(id);
    }

    private static void Loop()
    {
        while (true)
        {
            foreach (var (id, (pipe, lease)) in Guarded) Renew(id, pipe, lease);
            Thread.Sleep(Interval);
        }
    }

    private static readonly byte[] Newline = "\n"u8.ToArray();

    private static void Renew(long id, Stream pipe, AttemptLease lease)
    {
        if (!lease.IsHeld(DateTimeOffset.UtcNow)) return;
        try
        {
            pipe.Write(Newline);
            pipe.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Guarded.TryRemove(id, out _); // the guard has exited
        }
    }

    private sealed class Registration(long id) : IDisposable
    {
        public void Dispose() => Guarded.TryRemove(id, out _);
    }
}
