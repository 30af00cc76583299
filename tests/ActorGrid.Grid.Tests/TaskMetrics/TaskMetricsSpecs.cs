using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Cli;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Grid.Tests.Training;
using CsvHelper;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.TaskMetrics;

// Metric series end to end on the training grid: real ranks print metric lines, the worker
// publishes them, the gateway stores them, and the tenant reads them back over HTTP and SSE.
[Collection(TrainingGridCollection.Name)]
public class TaskMetricsSpecs(TrainingGridFixture grid, ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static JsonObject Body(string script, string kind = "process", int workers = 1)
    {
        var body = new JsonObject
        {
            ["kind"] = kind,
            ["command"] = new JsonArray("sh", "-c", script),
            ["timeoutSeconds"] = 120,
            ["requirements"] = new JsonObject { ["cpu"] = 0.5, ["memoryMiB"] = 128 },
            ["lane"] = "batch",
            ["maxAttempts"] = 1,
        };
        if (kind == "training")
        {
            body["workers"] = workers;
            body["requirements"]!["chips"] = new JsonObject { ["model"] = "any", ["count"] = 1 };
        }
        return body;
    }

    private async Task<string> SubmitAsync(JsonObject body)
    {
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.True(status == HttpStatusCode.Accepted, $"submit: {(int)status} {accepted?.ToJsonString()}");
        return Tasks.Id(accepted);
    }

    private async Task<(HttpStatusCode Status, string Type, string Body)> GetTextAsync(string path, string key, string? accept = null)
    {
        using var request = ApiClient.Request(HttpMethod.Get, path, key);
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        using var response = await grid.Api.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync());
    }

    // The metrics of a finished task, once the gateway has stored `points` of them (the writer
    // appends a moment after the exit report).
    private async Task<JsonNode> MetricsAsync(string id, int points)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonNode? metrics;
        do
        {
            (_, metrics) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/tasks/{id}/metrics", grid.AcmeKey, null);
            if (metrics?["points"]?.GetValue<long>() >= points) return metrics;
            await Task.Delay(200);
        } while (DateTime.UtcNow < until);
        throw new TimeoutException($"task {id} has not {points} points stored: {metrics?.ToJsonString()}");
    }

    [Fact]
    public async Task Should_keep_every_line_of_rank_0_in_order_while_the_journal_keeps_only_a_few_progress_events()
    {
        // Both ranks print 50 lines as fast as they can; rank 1's losses are 1000 higher.
        const string Script = """i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo "{\"progress\":0.5,\"metrics\":{\"loss\":$((RANK*1000+i)),\"step\":$((i*16))}}"; done; sleep 1""";
        var id = await SubmitAsync(Body(Script, kind: "training", workers: 2));
        var done = await grid.Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, Long);
        Assert.Equal("succeeded", Tasks.State(done));

        var metrics = await MetricsAsync(id, 100);

        Assert.Equal(100, metrics["points"]!.GetValue<long>());
        Assert.Null(metrics["truncated"]);
        var loss = metrics["series"]!["loss"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (double)i), loss.Select(p => p!["value"]!.GetValue<double>()));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), loss.Select(p => p!["seq"]!.GetValue<long>()));
        Assert.All(loss, p => Assert.Equal(1, p!["attempt"]!.GetValue<int>()));
        Assert.Equal(50, metrics["series"]!["step"]!.AsArray().Count);
        // Full resolution in the store; the journal got the first line and perhaps the latest.
        var progressed = done["history"]!.AsArray().Count(h => h!["type"]!.GetValue<string>() == "progressed");
        Assert.InRange(progressed, 1, 3);
        Assert.Contains("[rank1]: {", done["stdoutTail"]!.GetValue<string>());

        // CSV, by Accept and by ?format=, read back with CsvHelper.
        var (status, type, csv) = await GetTextAsync($"/v1/tasks/{id}/metrics", grid.AcmeKey, accept: "text/csv");
        Assert.Equal((HttpStatusCode.OK, "text/csv"), (status, type));
        using (var reader = CsvReader.FromText(csv, new CsvReaderOptions { HasHeader = true }))
        {
            Assert.Equal(["attempt", "seq", "at", "name", "value"], reader.Headers.ToArray());
            var rows = new List<(string Name, double Value)>();
            while (reader.Read()) rows.Add((reader.GetString(3), double.Parse(reader.GetString(4), CultureInfo.InvariantCulture)));
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (double)i), rows.Where(r => r.Name == "loss").Select(r => r.Value));
            Assert.Equal(100, rows.Count);
        }
        (_, _, csv) = await GetTextAsync($"/v1/tasks/{id}/metrics?format=csv&names=step", grid.AcmeKey);
        Assert.Equal(51, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        (status, _, _) = await GetTextAsync($"/v1/tasks/{id}/metrics?since=yesterday", grid.AcmeKey);
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // Another tenant's task, and an unknown one, do not exist for this caller.
        foreach (var path in new[] { $"/v1/tasks/{id}/metrics", $"/v1/tasks/{id}/metrics/stream" })
            Assert.Equal(HttpStatusCode.NotFound, (await GetTextAsync(path, grid.GlobexKey)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetTextAsync("/v1/tasks/no-such-task/metrics", grid.AcmeKey)).Status);
        // The operator reads any tenant's.
        var (opStatus, op) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/operator/tasks/{id}/metrics?names=loss", TrainingGridFixture.AdminToken, null);
        Assert.Equal(HttpStatusCode.OK, opStatus);
        Assert.Equal(50, op!["series"]!["loss"]!.AsArray().Count);
        Assert.Null(op["series"]!["step"]);
    }

    [Fact]
    public async Task Should_stream_each_line_as_it_is_stored_and_end_after_the_task()
    {
        // 30 lines over 6 s: longer than one progress-interval (5 s).
        const string Script = """i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo "{\"metrics\":{\"loss\":$i,\"val_loss\":$((i*2))}}"; sleep 0.2; done""";
        var id = await SubmitAsync(Body(Script));

        var events = await grid.Api.ReadStreamAsync(grid.AcmeKey, $"/v1/tasks/{id}/metrics/stream?names=loss", Long);

        var samples = events.Where(e => e.Event == "sample").Select(e => e.Json!).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), samples.Select(s => s["seq"]!.GetValue<long>()));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (double)i), samples.Select(s => s["values"]!["loss"]!.GetValue<double>()));
        Assert.All(samples, s => Assert.Null(s["values"]!["val_loss"]));
        var end = events[^1];
        Assert.Equal("end", end.Event);
        Assert.Equal("succeeded", end.Json!["state"]!.GetValue<string>());

        // The journal heard the first line at once and then the latest one a progress-interval later,
        // not one event per line (nor per second).
        var progressed = (await grid.Api.GetTaskAsync(grid.AcmeKey, id))["history"]!.AsArray()
            .Where(h => h!["type"]!.GetValue<string>() == "progressed").ToList();
        Assert.InRange(progressed.Count, 2, 3);
        Assert.Equal(1, progressed[0]!["metrics"]!["loss"]!.GetValue<double>());
        Assert.InRange(progressed[1]!["metrics"]!["loss"]!.GetValue<double>(), 20, 30);
    }

    [Fact]
    public async Task Should_store_a_burst_of_lines_from_one_process_in_full()
    {
        // 5000 lines of 3 values, printed as fast as sh can: the ingestion figure of the whole path.
        const string Script = """i=0; while [ $i -lt 5000 ]; do i=$((i+1)); echo "{\"metrics\":{\"loss\":$i,\"val_loss\":$i,\"step\":$i}}"; done""";
        var id = await SubmitAsync(Body(Script));

        var metrics = await MetricsAsync(id, 15_000);
        var seenAt = DateTimeOffset.UtcNow;

        Assert.Equal(15_000, metrics["points"]!.GetValue<long>());
        var loss = metrics["series"]!["loss"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => (long)i), loss.Select(p => p!["seq"]!.GetValue<long>()));
        // Same machine, same clock: how fast the lines came, and how far behind the store was.
        var (first, last) = (loss[0]!["at"]!.GetValue<DateTimeOffset>(), loss[^1]!["at"]!.GetValue<DateTimeOffset>());
        var printing = (last - first).TotalSeconds;
        output.WriteLine($"5000 lines (15000 points) printed in {printing:0.00} s ({15_000 / Math.Max(printing, 0.001):0} points/s); " +
                         $"all stored and read back {(seenAt - last).TotalSeconds:0.00} s after the last was printed");
    }

    [Fact]
    public async Task Should_show_the_latest_values_as_a_table_and_every_point_as_csv_in_the_cli()
    {
        const string Script = """for i in 1 2 3 4 5; do echo "{\"metrics\":{\"loss\":0.$((10-i)),\"step\":$((i*100))}}"; done""";
        var id = await SubmitAsync(Body(Script));
        await grid.Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, Long);
        await MetricsAsync(id, 10);
        var target = $"{grid.Grid.HttpBase.Host}:{grid.Grid.HttpBase.Port}";

        var table = await CliProcess.RunAsync([target, "tasks", "metrics", id], TrainingGridFixture.AdminToken);
        var csv = await CliProcess.RunAsync([target, "tasks", "metrics", id, "--csv", "--names", "loss"], TrainingGridFixture.AdminToken);
        var help = await CliProcess.RunAsync(["tasks", "metrics", "--help"], null);

        Assert.True(table.ExitCode == 0, table.ToString());
        var loss = table.Stdout.Split('\n').Single(l => l.Contains("loss"));
        Assert.Matches(@"loss\s*│\s*0\.5\s*│\s*1:5\s*│.*│\s*0\.5\s*│\s*0\.9\s*│\s*5", loss);
        Assert.Contains("10 point(s) kept", table.Stdout);
        Assert.True(csv.ExitCode == 0, csv.ToString());
        using var reader = CsvReader.FromText(csv.Stdout, new CsvReaderOptions { HasHeader = true });
        var values = new List<double>();
        while (reader.Read()) values.Add(double.Parse(reader.GetString("value"), CultureInfo.InvariantCulture));
        Assert.Equal([0.9, 0.8, 0.7, 0.6, 0.5], values);
        Assert.Contains("--follow", help.Stdout);
        Assert.Contains("--csv", help.Stdout);
        Assert.Contains("pandas", help.Stdout);
    }
}
