using System.Collections.Concurrent;
using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// The gateway and journal host killed with SIGKILL in the middle of a burst of submissions, on
// SQLite and on PostgreSQL. Clients retry every request with its idempotency key once the grid is
// back: every task that was acknowledged (202) is still there under the same id, and no key ever
// yields a second task.
[Trait("Category", "Resilience")]
public sealed class SubmitCrashSpecs(ITestOutputHelper output)
{
    private const string Token = "submit-crash-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private const int Burst = 120;

    [Fact]
    public Task Should_keep_every_acknowledged_submission_and_never_duplicate_a_key_across_a_crash_on_sqlite() => RunAsync(null);

    [Fact]
    public async Task Should_keep_every_acknowledged_submission_and_never_duplicate_a_key_across_a_crash_on_postgresql()
    {
        await using var db = await PostgresDatabase.CreateAsync("submitcrash");
        await RunAsync(db.Url);
    }

    private async Task RunAsync(string? dbUrl)
    {
        using var dir = TestDirectory.Create("submit-crash");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        List<string> args = ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", dir.Sub("data")];
        if (dbUrl is not null) args.AddRange(["--db", dbUrl]);

        var acknowledged = new ConcurrentDictionary<string, string>();
        var failedInFlight = 0;
        string key;
        await using (var first = GridProcess.Start("first", args, Token, dir.Path))
        {
            await first.WaitUntilReadyAsync(Long);
            using var api = new ApiClient(first.HttpBase);
            key = await api.CreateTenantAsync(Token, "acme", []);
            // Tasks that stay queued (no node has the chip), so the journal is all that holds them.
            using var killer = new CancellationTokenSource();
            var burst = Parallel.ForEachAsync(Enumerable.Range(0, Burst), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            {
                try
                {
                    var (status, body) = await api.SubmitTaskAsync(key, Queued($"k-{i}"));
                    if (status == HttpStatusCode.Accepted) acknowledged[$"k-{i}"] = Tasks.Id(body);
                    if (acknowledged.Count == Burst / 3) killer.Cancel();
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failedInFlight); // the gateway died under it
                }
            });
            try { await Task.Delay(Timeout.Infinite, killer.Token); } catch (OperationCanceledException) { }
            first.SignalNodeOnly(9);
            await burst;
        }

        await using var second = GridProcess.Start("second", args, Token, dir.Path);
        await second.WaitUntilReadyAsync(Long);
        using var again = new ApiClient(second.HttpBase);
        var ids = new Dictionary<string, string>();
        var changed = 0;
        for (var i = 0; i < Burst; i++)
        {
            var (status, body) = await again.SubmitTaskAsync(key, Queued($"k-{i}"));
            Assert.Equal(HttpStatusCode.Accepted, status);
            ids[$"k-{i}"] = Tasks.Id(body);
            if (acknowledged.TryGetValue($"k-{i}", out var before) && before != ids[$"k-{i}"]) changed++;
        }
        var listed = (await again.SendJsonAsync(HttpMethod.Get, "/v1/tasks?limit=500", key, null)).Body!.AsArray()
            .Select(t => t!["id"]!.GetValue<string>()).ToList();
        output.WriteLine($"{(dbUrl is null ? "SQLite" : "PostgreSQL")}: killed after {acknowledged.Count} of {Burst} acknowledged ({failedInFlight} requests cut off); " +
                         $"after restart and retry: {changed} acknowledged tasks lost or renamed, {listed.Count} tasks for {Burst} keys, {listed.Count - listed.Distinct().Count()} duplicates");
        Assert.Equal(0, changed);
        Assert.Equal(Burst, listed.Count);
        Assert.Equal(ids.Values.Order(), listed.Order());
    }

    private static System.Text.Json.Nodes.JsonObject Queued(string idempotencyKey)
    {
        var body = Tasks.Shell("echo never", key: idempotencyKey);
        body["requirements"]!["chips"] = new System.Text.Json.Nodes.JsonObject { ["model"] = "nvidia-b200", ["count"] = 1 };
        return body;
    }
}
