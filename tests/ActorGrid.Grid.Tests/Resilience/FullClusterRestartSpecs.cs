using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// Every host of a three-host grid killed with SIGKILL at once, then started again: finished,
// queued, running and just-acknowledged tasks are all still there, the running one resumes without
// ever running twice at once, and idempotent retries of the acknowledged burst create nothing new.
[Trait("Category", "Resilience")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FullClusterRestartSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private const int SigKill = 9;

    [Fact]
    public async Task Should_lose_nothing_acknowledged_when_every_host_is_killed_and_restarted()
    {
        await using var grid = await WitnessedGrid.StartAsync("full-restart", output);
        var api = grid.Api;
        var finished = Tasks.Id((await api.SubmitTaskAsync(grid.Key, Tasks.Shell("echo finished"))).Body);
        await api.WaitForStateAsync(grid.Key, finished, s => s == "succeeded", Long);
        var finishedBefore = (await api.GetTaskAsync(grid.Key, finished)).ToJsonString();

        // No node has this chip: the task stays queued, across the restart too.
        var unplaceable = Tasks.Shell("echo never");
        unplaceable["requirements"]!["chips"] = new JsonObject { ["model"] = "nvidia-b200", ["count"] = 1 };
        var queued = Tasks.Id((await api.SubmitTaskAsync(grid.Key, unplaceable)).Body);

        // A burst acknowledged just before the crash, each with an idempotency key.
        var acknowledged = new Dictionary<string, string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (status, body) = await api.SubmitTaskAsync(grid.Key, Tasks.Shell("echo burst", key: $"burst-{i}"), ct);
            if (status == HttpStatusCode.Accepted)
                lock (acknowledged) acknowledged[$"burst-{i}"] = Tasks.Id(body);
        });

        var (running, _, _) = await grid.StartWitnessedTaskAsync(seconds: 20);
        var killedAt = WitnessedGrid.Now();
        foreach (var host in grid.Hosts) host.SignalNodeOnly(SigKill);
        await grid.RestartAllAsync(generation: 2);
        var wholeAfter = WitnessedGrid.Now() - killedAt;
        api = grid.Api;

        Assert.Equal(finishedBefore, (await api.GetTaskAsync(grid.Key, finished)).ToJsonString());
        Assert.Equal("queued", Tasks.State(await api.GetTaskAsync(grid.Key, queued)));

        var resumed = await api.WaitForStateAsync(grid.Key, running, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(resumed) == "succeeded", resumed.ToJsonString());
        var lines = grid.Witness(running);
        var lastOfFirst = lines.Where(l => l.Attempt == 1).Max(l => l.At);
        var firstOfSecond = lines.Where(l => l.Attempt >= 2).Min(l => l.At);
        var overlap = Math.Max(0, lastOfFirst - firstOfSecond);

        var lost = 0;
        foreach (var (key, id) in acknowledged)
        {
            var (status, body) = await api.SubmitTaskAsync(grid.Key, Tasks.Shell("echo burst", key: key));
            Assert.Equal(HttpStatusCode.Accepted, status);
            if (Tasks.Id(body) != id) lost++;
            await api.GetTaskAsync(grid.Key, id);
        }
        var listed = (await api.SendJsonAsync(HttpMethod.Get, "/v1/tasks?limit=500", grid.Key, null)).Body!.AsArray().Count;
        output.WriteLine($"all 3 hosts killed with SIGKILL and restarted: whole again after {wholeAfter:0.0}s; " +
                         $"{acknowledged.Count} acknowledged burst tasks, {lost} lost or duplicated; {listed} tasks listed; " +
                         $"running task: attempt 1 last line {lastOfFirst - killedAt:0.00}s after the kill, attempt 2 from {firstOfSecond - killedAt:0.0}s; overlap {overlap:0.00}s");
        Assert.Equal(0, lost);
        Assert.Equal(0, overlap);
        Assert.Equal(acknowledged.Count + 3, listed);
    }
}
