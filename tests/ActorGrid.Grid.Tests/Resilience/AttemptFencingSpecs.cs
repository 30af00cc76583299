using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// At most one live copy of an attempt. Three real hosts on PostgreSQL (core+gateway, two
// workers); a task writes a line every 0.1 s (attempt, node, time) into a witness directory that
// the workers' sandboxes may write. What the test reads from that file is what really ran, not what
// the task's history claims: overlap is measured, not inferred.
[Trait("Category", "Resilience")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AttemptFencingSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private const int SigKill = 9, SigStop = 19, SigCont = 18;

    [Fact]
    public async Task Should_run_a_killed_workers_attempt_elsewhere_within_seconds_and_never_twice_at_once()
    {
        await using var grid = await WitnessedGrid.StartAsync("fence-kill", output);
        var (id, victim, _) = await grid.StartWitnessedTaskAsync();
        var killedAt = Now();
        victim.SignalNodeOnly(SigKill);

        var done = await grid.Api.WaitForStateAsync(grid.Key, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        var lines = grid.Witness(id);
        var first = lines.Where(l => l.Attempt == 1).ToList();
        var second = lines.Where(l => l.Attempt >= 2).ToList();
        Assert.NotEmpty(second);
        var lastOfFirst = first.Max(l => l.At);
        var running = second.Min(l => l.At) - killedAt;
        var overlap = Math.Max(0, lastOfFirst - second.Min(l => l.At));
        output.WriteLine($"kill -9 of the worker: attempt 1 wrote its last line {lastOfFirst - killedAt:0.00}s after the kill; " +
                         $"attempt 2 running on {second[0].Node} {running:0.00}s after the kill; overlap {overlap:0.00}s");
        Assert.Equal(0, overlap);
        Assert.True(lastOfFirst - killedAt < 2, $"attempt 1 kept running {lastOfFirst - killedAt:0.00}s after its worker died");
        Assert.NotEqual(first[0].Node, second[0].Node);
        Assert.Equal("node-lost", done["attempts"]![0]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_stop_a_paused_workers_attempt_before_it_runs_elsewhere()
    {
        await using var grid = await WitnessedGrid.StartAsync("fence-stop", output);
        var (id, victim, _) = await grid.StartWitnessedTaskAsync();
        var pausedAt = Now();
        victim.SignalNodeOnly(SigStop);
        var second = await grid.WaitForAttemptLinesAsync(id, 2, Long);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 25 - (Now() - pausedAt))));
        victim.SignalNodeOnly(SigCont);
        var resumedAt = Now();

        var done = await grid.Api.WaitForStateAsync(grid.Key, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        await Task.Delay(3000); // anything the resumed worker still ran would write now
        var lines = grid.Witness(id);
        var first = lines.Where(l => l.Attempt == 1).ToList();
        var lastOfFirst = first.Max(l => l.At);
        var firstOfSecond = lines.Where(l => l.Attempt >= 2).Min(l => l.At);
        var overlap = Math.Max(0, lastOfFirst - firstOfSecond);
        output.WriteLine($"SIGSTOP of the worker for {resumedAt - pausedAt:0.0}s: attempt 1 stopped {lastOfFirst - pausedAt:0.00}s after the pause " +
                         $"(its guard), attempt 2 running {firstOfSecond - pausedAt:0.00}s after it on {second}; overlap {overlap:0.00}s; " +
                         $"lines from attempt 1 after SIGCONT: {first.Count(l => l.At > resumedAt)}");
        Assert.Equal(0, overlap);
        Assert.Equal(0, first.Count(l => l.At > resumedAt));
        // The paused host's own log says it was stopped, and that GC does not explain it.
        var pause = victim.Logs.FirstOrDefault(l => l.Contains("This process ran nothing for"));
        Assert.True(pause is not null, "the paused host logged no pause warning:\n" + victim.Tail());
        Assert.Contains("Not GC", pause);
    }

    [Fact]
    public async Task Should_stop_attempts_whose_lease_placement_stops_renewing()
    {
        // The core host (placement) paused: the workers run on, but nothing renews their lease.
        // Resumed before the Split Brain Resolver would decide (failure detection 4 s + 7 s).
        await using var grid = await WitnessedGrid.StartAsync("fence-lease", output);
        var (id, _, _) = await grid.StartWitnessedTaskAsync(seconds: 20);
        var pausedAt = Now();
        grid.Hosts[0].SignalNodeOnly(SigStop);
        await Task.Delay(TimeSpan.FromSeconds(8.5));
        grid.Hosts[0].SignalNodeOnly(SigCont);

        var done = await grid.Api.WaitForStateAsync(grid.Key, id, Tasks.IsTerminal, Long);
        var lines = grid.Witness(id);
        var lastOfFirst = lines.Where(l => l.Attempt == 1).Max(l => l.At);
        var firstOfSecond = lines.Where(l => l.Attempt >= 2).Min(l => l.At);
        var first = done["attempts"]![0]!;
        output.WriteLine($"core paused 8.5 s: attempt 1 stopped {lastOfFirst - pausedAt:0.00}s after the pause ({first["outcome"]}: {first["reason"]}); " +
                         $"attempt 2 from {firstOfSecond - pausedAt:0.0}s; overlap {Math.Max(0, lastOfFirst - firstOfSecond):0.00}s");
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        Assert.Equal("node-lost", first["outcome"]!.GetValue<string>());
        Assert.Contains("lease", first["reason"]!.GetValue<string>());
        // Held for lease-timeout (6 s) after the last answered heartbeat, which was at most ~1 s before the pause.
        Assert.InRange(lastOfFirst - pausedAt, 4.5, 8.0);
        Assert.True(lastOfFirst < firstOfSecond);
    }

    private static double Now() => WitnessedGrid.Now();
}
