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
}
