using System.Net;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Gateway;

// Tasks through the HTTP API on the embedded grid: real processes, the real journal.
[Collection(EmbeddedGridCollection.Name)]
public class TaskLifecycleSpecs(EmbeddedGridFixture grid)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private ApiClient Api => grid.Api;

    [Fact]
    public async Task Should_run_a_process_and_stream_every_event_until_it_succeeds()
    {
        var script = "echo '{\"progress\":0.5,\"metrics\":{\"loss\":0.31}}'; sleep 1.5; echo done; echo oops >&2";
        var (status, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell(script));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("submitted", accepted!["state"]!.GetValue<string>());
        var id = Tasks.Id(accepted);

        var events = await Api.ReadEventStreamAsync(grid.AcmeKey, id, Long);
        Assert.Equal(["submitted", "queued", "placed", "started", "progressed", "attempt-ended", "succeeded"], events.Select(e => e.Event));
        Assert.Equal(0.31, events.Single(e => e.Event == "progressed").Json!["metrics"]!["loss"]!.GetValue<double>());

        var task = await Api.GetTaskAsync(grid.AcmeKey, id);
        Assert.Equal("succeeded", Tasks.State(task));
        Assert.Equal("acme", task["tenant"]!.GetValue<string>());
        Assert.Equal("done\n", task["stdoutTail"]!.GetValue<string>());
        Assert.Equal("oops\n", task["stderrTail"]!.GetValue<string>());
        var attempt = Assert.Single(task["attempts"]!.AsArray());
        Assert.Equal(0, attempt!["exitCode"]!.GetValue<int>());
        Assert.Equal(events.Count, task["history"]!.AsArray().Count);
    }

    [Fact]
    public async Task Should_return_the_same_task_for_a_retried_submission()
    {
        var key = "order-" + Guid.NewGuid().ToString("n");
        var first = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("echo once", key: key));
        var second = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("echo once", key: key));
        Assert.Equal(HttpStatusCode.Accepted, second.Status);
        Assert.Equal(Tasks.Id(first.Body), Tasks.Id(second.Body));

        var task = await Api.WaitForStateAsync(grid.AcmeKey, Tasks.Id(first.Body), Tasks.IsTerminal, Long);
        Assert.Single(task["history"]!.AsArray(), h => h!["type"]!.GetValue<string>() == "submitted");
        Assert.Single(task["attempts"]!.AsArray());
    }

    [Fact]
    public async Task Should_retry_a_failing_process_up_to_max_attempts_then_fail()
    {
        var (_, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("echo trying; exit 3", maxAttempts: 2));
        var task = await Api.WaitForStateAsync(grid.AcmeKey, Tasks.Id(accepted), Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(task) == "failed", task.ToJsonString());
        // The whole task in the message: an attempt killed from outside names its reason and stderr there.
        Assert.True(task["attempts"]!.AsArray().Select(a => a!["exitCode"]?.GetValue<int>()).SequenceEqual([3, 3]), task.ToJsonString());
        Assert.Contains("exited with code 3", task["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_fail_a_process_that_runs_past_its_timeout()
    {
        var (_, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell("sleep 60", maxAttempts: 1, timeoutSeconds: 1));
        var task = await Api.WaitForStateAsync(grid.AcmeKey, Tasks.Id(accepted), Tasks.IsTerminal, Long);
        Assert.Equal("failed", Tasks.State(task));
        Assert.Equal("timed-out", task["attempts"]![0]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_cancel_a_running_task_and_kill_its_process_tree()
    {
        // The attempt runs in its own pid namespace, so the pid it sees for its child is not the
        // host's: the test finds the child on the host by its unique command line instead.
        var marker = "300." + Random.Shared.Next(100000, 999999);
        var (_, accepted) = await Api.SubmitTaskAsync(grid.AcmeKey, Tasks.Shell($"sleep {marker} & echo \"{{\\\"metrics\\\":{{\\\"child\\\":$!}}}}\"; wait"));
        var id = Tasks.Id(accepted);
        var running = await Api.WaitForStateAsync(grid.AcmeKey, id, s => s == "running", Long);
        await WaitForMetricAsync(id, "child");
        var child = HostPidOf("sleep", marker);
        Assert.True(child is not null && Directory.Exists($"/proc/{child}"), "the task's child process should be running");

        var (status, cancelled) = await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{id}", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("cancelled", cancelled!["state"]!.GetValue<string>());
        await WaitUntilAsync(() => !IsAlive(child!.Value), TimeSpan.FromSeconds(20), $"child process {child} still alive after cancel");

        var again = await Api.SendJsonAsync(HttpMethod.Delete, $"/v1/tasks/{id}", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("running", Tasks.State(running));
    }

    [Fact]
    public async Task Should_list_the_tenants_tasks_filtered_by_state()
    {
        var (_, accepted) = await Api.SubmitTaskAsync(grid.GlobexKey, Tasks.Shell("echo listed"));
        var id = Tasks.Id(accepted);
        await Api.WaitForStateAsync(grid.GlobexKey, id, s => s == "succeeded", Long);
        var succeeded = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks?state=succeeded", grid.GlobexKey, null)).Body!.AsArray();
        Assert.Contains(succeeded, t => t!["id"]!.GetValue<string>() == id);
        Assert.All(succeeded, t => Assert.Equal("succeeded", t!["state"]!.GetValue<string>()));
        var queued = (await Api.SendJsonAsync(HttpMethod.Get, "/v1/tasks?state=queued", grid.GlobexKey, null)).Body!.AsArray();
        Assert.DoesNotContain(queued, t => t!["id"]!.GetValue<string>() == id);
    }

    private static int? HostPidOf(params string[] argv)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries).SequenceEqual(argv)) return pid;
            }
            catch (IOException)
            {
                // It exited while we looked.
            }
        }
        return null;
    }

    private async Task<int> WaitForMetricAsync(string id, string metric)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            var task = await Api.GetTaskAsync(grid.AcmeKey, id);
            if (task["metrics"]?[metric] is { } value) return (int)value.GetValue<double>();
            await Task.Delay(200);
        }
        throw new TimeoutException($"task {id} never reported metric {metric}");
    }

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure);
            await Task.Delay(200);
        }
    }
}
