using System.Diagnostics;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Transfer.Checkpoints;
using ActorGrid.Worker;
using ActorGrid.Worker.Checkpoints;
using ActorGrid.Worker.Sandbox;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorGrid.Runtime.Tests.Workers;

// A graceful stop (preemption, drain) through the whole launch path: the sandbox (or none), the
// lease guard, a real shell with its own SIGTERM handler. "auto" is bubblewrap with a uid of its
// own when the tests run as root (namespaces only otherwise); "off" runs the command unsandboxed.
public sealed class GracefulStopSpecs(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "actorgrid-graceful", Guid.NewGuid().ToString("n"));
    private static readonly UidPool Uids = new(207000, 64); // apart from the other specs' uids

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed record Stopped(ProcessOutcome Outcome, TimeSpan SinceTerm, string CheckpointDir);

    // Runs the script until it prints its first progress line (its handler is installed by then),
    // then asks for a graceful stop with the given grace and measures how long it took to end.
    private async Task<Stopped> RunAndTerminateAsync(string mode, string script, TimeSpan grace, Action<CancellationTokenSource>? duringGrace = null)
    {
        var settings = IsolationSettings.From(ConfigurationFactory.ParseString(
            $"actorgrid.workers.sandbox = {mode}\nactorgrid.workers.isolation.root = \"{Path.Combine(_root, mode)}\""));
        var sandbox = SandboxHost.Detect(settings, Path.Combine(_root, mode + "-data"));
        output.WriteLine($"sandbox {sandbox.Level}: {sandbox.WhyNot}");
        Assert.False(sandbox.Refuses, sandbox.WhyNot);
        var task = new TaskId("graceful-" + Guid.NewGuid().ToString("n")[..8]);
        var lease = new AttemptLease(TimeSpan.FromSeconds(30));
        lease.RenewedBy(DateTimeOffset.UtcNow.AddHours(1));
        int? uid = null;
        lock (Uids) uid = sandbox.Level == SandboxHost.On ? Uids.Take() : null;
        try
        {
            var spec = new TaskSpec("process", ["sh", "-c", script], new Dictionary<string, string>(), null, 120,
                new ResourceRequirements(0.5, 128), "batch", 1, []);
            var env = sandbox.EnvironmentFor(spec.Env, new Dictionary<string, string> { ["ACTORGRID_CHECKPOINT_DIR"] = sandbox.CheckpointPathSeen(task) }, "/work");
            var prepared = await sandbox.PrepareAsync(task, 1, uid, spec, env, lease, TimeSpan.FromSeconds(1.5));
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cancel = new CancellationTokenSource();
            using var terminate = new CancellationTokenSource();
            var run = ProcessExecution.RunAsync(prepared.Launch with { StopGrace = grace }, _ => { }, _ => ready.TrySetResult(), cancel.Token, terminate.Token);
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var clock = Stopwatch.StartNew();
            terminate.Cancel();
            duringGrace?.Invoke(cancel);
            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(90));
            var took = clock.Elapsed;
            output.WriteLine($"{outcome.Outcome} after {took.TotalMilliseconds:0} ms: {outcome.Reason}; stdout '{outcome.StdoutTail.Trim()}' stderr '{outcome.StderrTail.Trim()}'");
            return new Stopped(prepared.Conclude(outcome), took, sandbox.CheckpointDirectory(task));
        }
        finally
        {
            if (uid is { } u) lock (Uids) Uids.Release(u);
        }
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task Should_let_the_task_handle_SIGTERM_and_save_its_checkpoint_within_its_grace(string mode)
    {
        // The handler takes a moment to save (as a real checkpoint would), then exits on its own.
        const string script = """
            trap 'echo got-term; sleep 1; echo saved > "$ACTORGRID_CHECKPOINT_DIR/state.tmp"; mv "$ACTORGRID_CHECKPOINT_DIR/state.tmp" "$ACTORGRID_CHECKPOINT_DIR/state"; exit 0' TERM
            echo '{"progress":0.1}'
            while :; do sleep 0.2; done
            """;

        var stopped = await RunAndTerminateAsync(mode, script, grace: TimeSpan.FromSeconds(20));

        Assert.Equal(AttemptOutcomes.Cancelled, stopped.Outcome.Outcome);
        Assert.Contains("got-term", stopped.Outcome.StdoutTail);
        Assert.StartsWith("stopped with SIGTERM: it exited (code 0)", stopped.Outcome.Reason);
        Assert.Equal(0, stopped.Outcome.ExitCode);
        Assert.Equal("saved\n", File.ReadAllText(Path.Combine(stopped.CheckpointDir, "state")));
        // It ended when its handler did, not when the grace ran out.
        Assert.InRange(stopped.SinceTerm, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    public async Task Should_kill_a_task_that_ignores_SIGTERM_once_its_grace_is_over(string mode)
    {
        const string script = """
            trap '' TERM
            echo '{"progress":0.1}'
            while :; do sleep 0.2; done
            """;

        var stopped = await RunAndTerminateAsync(mode, script, grace: TimeSpan.FromSeconds(2));

        Assert.Equal(AttemptOutcomes.Cancelled, stopped.Outcome.Outcome);
        Assert.Equal("stopped with SIGTERM: still running after its 2s grace, so killed", stopped.Outcome.Reason);
        Assert.Null(stopped.Outcome.ExitCode);
        Assert.InRange(stopped.SinceTerm, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Should_kill_at_once_when_cancelled_during_the_grace()
    {
        const string script = """
            trap '' TERM
            echo '{"progress":0.1}'
            while :; do sleep 0.2; done
            """;

        var stopped = await RunAndTerminateAsync("auto", script, grace: TimeSpan.FromSeconds(60), duringGrace: cancel => cancel.CancelAfter(500));

        Assert.Equal(AttemptOutcomes.Cancelled, stopped.Outcome.Outcome);
        Assert.Equal("cancelled", stopped.Outcome.Reason);
        Assert.InRange(stopped.SinceTerm, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    // The job saves version 1 the documented way, starts writing version 2 under a .tmp name and is
    // killed in the middle of it: the pack after it ended holds version 1, whole, and nothing else.
    [Fact]
    public async Task Should_pack_the_last_complete_checkpoint_when_the_task_is_killed_while_writing_the_next()
    {
        const string script = """
            trap '' TERM
            d="$ACTORGRID_CHECKPOINT_DIR"
            echo v1 > "$d/model.tmp" && mv "$d/model.tmp" "$d/model"
            mkdir -p "$d/shards.partial" && echo half > "$d/shards.partial/0"
            printf 'v2-first-half' > "$d/model.tmp"
            echo '{"progress":0.5}'
            while :; do sleep 0.2; done
            """;

        var stopped = await RunAndTerminateAsync("auto", script, grace: TimeSpan.FromSeconds(1));
        Assert.Equal("stopped with SIGTERM: still running after its 1s grace, so killed", stopped.Outcome.Reason);
        Assert.Equal("v2-first-half", File.ReadAllText(Path.Combine(stopped.CheckpointDir, "model.tmp")));

        var store = new CheckpointStore(Path.Combine(_root, "store"));
        var packed = await CheckpointArchive.PackAsync(stopped.CheckpointDir, store, new TaskId("t-killed"), maxBytes: 1 << 20);
        var next = Path.Combine(_root, "next-attempt");
        await CheckpointArchive.UnpackAsync(store.PathOf(new TaskId("t-killed"), packed!.Sha256), packed.Sha256, next);

        Assert.Equal(["model"], Directory.EnumerateFileSystemEntries(next).Select(Path.GetFileName));
        Assert.Equal("v1\n", File.ReadAllText(Path.Combine(next, "model")));
    }
}
