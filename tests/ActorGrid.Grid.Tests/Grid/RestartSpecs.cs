using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Grid;

// The embedded grid killed and started again on the same ./data: nothing acknowledged is lost.
public class RestartSpecs
{
    private const string Token = "restart-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Should_keep_finished_and_interrupted_tasks_across_a_crash_and_restart()
    {
        using var dir = TestDirectory.Create("restart");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        string[] args = ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", dir.Sub("data")];

        string key, finishedId, interruptedId, finishedBefore;
        await using (var first = GridProcess.Start("first", args, Token, dir.Path))
        {
            await first.WaitUntilReadyAsync(Long);
            using var api = new ApiClient(first.HttpBase);
            key = await api.CreateTenantAsync(Token, "acme", []);
            finishedId = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("echo finished"))).Body);
            await api.WaitForStateAsync(key, finishedId, s => s == "succeeded", Long);
            finishedBefore = (await api.GetTaskAsync(key, finishedId)).ToJsonString();

            interruptedId = Tasks.Id((await api.SubmitTaskAsync(key, Tasks.Shell("sleep 4; echo second try", maxAttempts: 3))).Body);
            await api.WaitForStateAsync(key, interruptedId, s => s == "running", Long);
            await first.KillAsync(); // SIGKILL: no graceful anything
        }

        await using var second = GridProcess.Start("second", args, Token, dir.Path);
        await second.WaitUntilReadyAsync(Long);
        using var again = new ApiClient(second.HttpBase);

        Assert.Equal(finishedBefore, (await again.GetTaskAsync(key, finishedId)).ToJsonString());

        // The interrupted attempt is recognised as lost and the task runs again to success.
        var resumed = await again.WaitForStateAsync(key, interruptedId, s => s == "succeeded", Long);
        var attempts = resumed["attempts"]!.AsArray();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("node-lost", attempts[0]!["outcome"]!.GetValue<string>());
        Assert.Equal("succeeded", attempts[1]!["outcome"]!.GetValue<string>());
        Assert.Equal("second try\n", resumed["stdoutTail"]!.GetValue<string>());

        var list = (await again.SendJsonAsync(HttpMethod.Get, "/v1/tasks", key, null)).Body!.AsArray();
        Assert.Equal([interruptedId, finishedId], list.Select(t => t!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Accepted, (await again.SubmitTaskAsync(key, Tasks.Shell("echo after restart"))).Status);
    }
}
