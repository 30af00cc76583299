using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker;
using ActorGrid.Worker.Sandbox;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorGrid.Runtime.Tests.Workers;

// Many short attempts through the whole launch path (sandbox, cgroup, lease guard) at once: every
// one must end with its own exit code. A guard or cleanup that kills the wrong process shows up
// here as an exit code of 137 or a guard message on a healthy attempt.
public sealed class GuardedAttemptStressSpecs(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "actorgrid-guard-stress", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Should_end_every_one_of_many_concurrent_guarded_attempts_with_its_own_exit_code()
    {
        var settings = IsolationSettings.From(ConfigurationFactory.ParseString($"actorgrid.workers.isolation.root = \"{_root}\""));
        var sandbox = SandboxHost.Detect(settings, _root + "-data");
        output.WriteLine($"sandbox {sandbox.Level}: {sandbox.WhyNot}");
        Assert.False(sandbox.Refuses, sandbox.WhyNot);
        var lease = new AttemptLease(TimeSpan.FromSeconds(30));
        lease.RenewedBy(DateTimeOffset.UtcNow.AddHours(1));
        var uids = new UidPool(settings.UidRangeStart + 5000, 64);
        var gate = new SemaphoreSlim(6);
        var task = new TaskId("stress-" + Guid.NewGuid().ToString("n")[..8]);

        async Task<(int Attempt, ProcessOutcome Outcome)> One(int attempt)
        {
            await gate.WaitAsync();
            int? uid = null;
            try
            {
                lock (uids) uid = sandbox.Level == SandboxHost.On ? uids.Take() : null;
                var spec = new TaskSpec("process", ["sh", "-c", $"echo trying {attempt}; exit {attempt % 50 + 1}"], new Dictionary<string, string>(),
                    null, 60, new ResourceRequirements(0.5, 64), "batch", 1, []);
                var prepared = await sandbox.PrepareAsync(task, attempt, uid, spec, sandbox.EnvironmentFor(spec.Env, new Dictionary<string, string>(), "/work"), lease, TimeSpan.FromSeconds(1.5));
                var outcome = await ProcessExecution.RunAsync(prepared.Launch, _ => { }, _ => { }, CancellationToken.None);
                return (attempt, prepared.Conclude(outcome));
            }
            finally
            {
                if (uid is { } u) lock (uids) uids.Release(u);
                gate.Release();
            }
        }

        var results = await Task.WhenAll(Enumerable.Range(1, 120).Select(One));
        var wrong = results.Where(r => r.Outcome.ExitCode != r.Attempt % 50 + 1).ToList();
        foreach (var (attempt, o) in wrong)
            output.WriteLine($"attempt {attempt}: {o.Outcome} exit {o.ExitCode} ({o.Reason}) stdout '{o.StdoutTail.Trim()}' stderr '{o.StderrTail.Trim()}'");
        Assert.Empty(wrong);
    }

    // A start that comes before the worker's lease is held (a loaded host whose heartbeat answer is
    // still on its way) waits for the lease, instead of starting an attempt its guard would kill.
    [Fact]
    public async Task Should_start_an_attempt_only_once_its_lease_is_held()
    {
        var (sandbox, spec) = Prepare(["sh", "-c", "sleep 2; exit 7"]);
        var lease = new AttemptLease(TimeSpan.FromSeconds(5));
        var prepared = await sandbox.PrepareAsync(new TaskId("lease-wait-" + Guid.NewGuid().ToString("n")[..8]), 1, Uid(sandbox, 1), spec, sandbox.EnvironmentFor(spec.Env, new Dictionary<string, string>(), "/work"), lease, TimeSpan.FromSeconds(0.5));
        var renewedAt = DateTimeOffset.MinValue;
        var startedAt = DateTimeOffset.MinValue;
        _ = Task.Run(async () =>
        {
            await Task.Delay(800);
            renewedAt = DateTimeOffset.UtcNow;
            lease.RenewedBy(renewedAt);
        });
        var outcome = prepared.Conclude(await ProcessExecution.RunAsync(prepared.Launch, _ => startedAt = DateTimeOffset.UtcNow, _ => { }, CancellationToken.None));
        output.WriteLine($"{outcome.Outcome} exit {outcome.ExitCode} ({outcome.Reason}); started {(startedAt - renewedAt).TotalMilliseconds:0} ms after the renewal; stderr '{outcome.StderrTail.Trim()}'");
        Assert.Equal(7, outcome.ExitCode);
        Assert.True(startedAt >= renewedAt, "the attempt started before its lease was held");
    }

    [Fact]
    public async Task Should_not_start_an_attempt_whose_lease_is_never_renewed()
    {
        var (sandbox, spec) = Prepare(["sh", "-c", "exit 0"]);
        var lease = new AttemptLease(TimeSpan.FromSeconds(1));
        var prepared = await sandbox.PrepareAsync(new TaskId("lease-never-" + Guid.NewGuid().ToString("n")[..8]), 1, Uid(sandbox, 2), spec, sandbox.EnvironmentFor(spec.Env, new Dictionary<string, string>(), "/work"), lease, TimeSpan.FromSeconds(0.5));
        var started = false;
        var outcome = prepared.Conclude(await ProcessExecution.RunAsync(prepared.Launch, _ => started = true, _ => { }, CancellationToken.None));
        output.WriteLine($"{outcome.Outcome}: {outcome.Reason}");
        Assert.False(started);
        Assert.Equal(AttemptOutcomes.NodeLost, outcome.Outcome);
        Assert.Null(outcome.Pid);
        Assert.Contains("lease", outcome.Reason);
    }

    // Uids of their own, apart from the stress spec's, since specs of one class may run together.
    private static int? Uid(SandboxHost sandbox, int offset) =>
        sandbox.Level == SandboxHost.On ? IsolationSettings.From(ConfigurationFactory.Empty).UidRangeStart + 5100 + offset : null;

    private (SandboxHost Sandbox, TaskSpec Spec) Prepare(IReadOnlyList<string> command)
    {
        var settings = IsolationSettings.From(ConfigurationFactory.ParseString($"actorgrid.workers.isolation.root = \"{_root}\""));
        var sandbox = SandboxHost.Detect(settings, _root + "-data");
        Assert.False(sandbox.Refuses, sandbox.WhyNot);
        return (sandbox, new TaskSpec("process", command, new Dictionary<string, string>(), null, 60, new ResourceRequirements(0.5, 64), "batch", 1, []));
    }
}
