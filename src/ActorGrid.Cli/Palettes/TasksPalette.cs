using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Cli.Output;
using Spectre.Console;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `tasks`: every tenant's tasks, seen by the operator.
public static class TasksPalette
{
    private static readonly OperatorParameter Id = Arg("id", "The task's id, as 'tasks list' prints it.");
    private static readonly string[] Terminal = ["succeeded", "failed", "cancelled"];
    // What 'tasks list' filters by; the next page's command repeats them.
    private static readonly string[] ListFilters = ["tenant", "state", "lane", "limit"];

    public static IOperatorPalette Create() => new OperatorPalette("tasks", "Tasks across tenants: list, show, cancel, watch, logs, metrics.",
    [
        new OperatorCommand("list", "Recent tasks, newest first.",
        [
            Opt("tenant", "Only this tenant's tasks."),
            Opt("state", "Only tasks in this state.", allowed: ["submitted", "queued", "placed", "running", "succeeded", "failed", "cancelled"]),
            Opt("lane", "Only tasks in this lane.", allowed: ["realtime", "interactive", "batch", "deferrable"]),
            Opt("limit", "At most this many (1-500, default 100)."),
            Opt("cursor", "With --tenant: the page after the one that printed this cursor ('more: ... --cursor N')."),
        ], ListAsync),
        new OperatorCommand("show", "One task: attempts, history and why placement chose its node.", [Id], ShowAsync),
        new OperatorCommand("cancel", "Cancel a task; a running attempt's process tree is killed.", [Id], CancelAsync),
        new OperatorCommand("watch", "The task's events live, ending when it reaches a terminal state (or Ctrl-C).", [Id], WatchAsync),
        new OperatorCommand("logs", "The tails of the latest attempt's stdout and stderr.", [Id], LogsAsync),
        new OperatorCommand("metrics",
            "The task's metric series: what rank 0 printed as {\"metrics\":{\"loss\":0.31,...}} lines, every line kept. " +
            "Prints one row per series: its latest value, the line it came from, its min and max and how many points are kept. " +
            "--csv prints every point instead (attempt,seq,at,name,value), e.g. 'actorgrid tasks metrics <id> --csv > loss.csv' for pandas " +
            "or a spreadsheet; --follow prints each line as the gateway stores it until the task ends (Ctrl-C to stop).",
        [
            Id,
            Opt("names", "Only these series, comma-separated, e.g. --names loss,val_loss."),
            Opt("since", "Only points printed at or after this time (ISO 8601, e.g. 2025-06-01T08:00:00Z)."),
            new OperatorParameter("csv", "Every point as CSV on stdout, not the summary table.", ParameterKind.Flag, Required: false),
            new OperatorParameter("follow", "Keep printing new lines until the task ends.", ParameterKind.Flag, Required: false, Alias: "-f"),
        ], MetricsAsync),
    ]);

    private static async Task ListAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var query = string.Join("&", ListFilters.Append("cursor")
            .Where(name => run.Value(name) is not null)
            .Select(name => $"{name}={Uri.EscapeDataString(run.Value(name)!)}"));
        var page = await run.Client.GetTextAsync("/v1/operator/tasks" + (query.Length > 0 ? "?" + query : ""), cancel);
        var tasks = JsonNode.Parse(page.Body);
        var more = MoreHint(run, page.Header("X-Next-Cursor"));
        if (run.Output.Json)
        {
            // stdout stays the JSON array; the next page's command goes to stderr.
            run.Output.WriteJson(tasks);
            if (more is not null) CommandOutput.Progress(more);
            return;
        }
        var table = CommandOutput.Table("Id", "Tenant", "State", "Lane", "Node", "Attempts", "Submitted");
        foreach (var task in tasks.Items())
        {
            var attempts = task.Arr("attempts");
            var node = attempts.Count > 0 ? attempts[^1].Str("node") : "-";
            table.AddRow(Markup.Escape(task.Str("id")), Markup.Escape(task.Str("tenant")), StateMarkup(task.Str("state")), task.Str("lane"),
                Markup.Escape(node), attempts.Count.ToString(CultureInfo.InvariantCulture), task.Time("submittedAt"));
        }
        run.Output.Write(table);
        run.Output.Text($"{tasks.Items().Count()} task(s)");
        if (more is not null) run.Output.Text(more);
    }

    // One tenant's listing pages: the gateway names the next page in X-Next-Cursor, and this is
    // the command that prints it.
    private static string? MoreHint(OperatorInvocation run, string? next)
    {
        if (next is null) return null;
        var again = ListFilters.Where(name => run.Value(name) is not null).Select(name => $"--{name} {run.Value(name)}");
        return $"more: actorgrid {run.Client.Target} tasks list {string.Join(' ', again)} --cursor {next}";
    }

    private static async Task ShowAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var reply = await run.Client.GetAsync($"/v1/operator/tasks/{Uri.EscapeDataString(run.Required("id"))}", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        var task = reply?["task"];
        var req = task?["requirements"];
        run.Output.Write(CommandOutput.Fields(
        [
            ("id", task.Str("id")),
            ("tenant", task.Str("tenant")),
            ("state", task.Str("state") + (task.Str("reason") is "-" ? "" : $" ({task.Str("reason")})")),
            ("lane / kind", $"{task.Str("lane")} / {task.Str("kind")}"),
            ("command", task.Arr("command").Join()),
            ("requirements", $"cpu {req.Str("cpu")}, memory {req.Str("memoryMiB")} MiB" + (req?["chips"] is JsonObject chips ? $", {chips.Str("count")}x {chips.Str("model")}" : "")),
            ("zones", task.Arr("allowedZones").Join()),
            ("progress", task.Str("progress")),
            ("submitted / updated", $"{task.Time("submittedAt")} / {task.Time("updatedAt")}"),
        ]));

        var attempts = CommandOutput.Table("Attempt", "Node", "Placed", "Started", "Ended", "Outcome", "Exit", "Reason");
        foreach (var a in task.Arr("attempts").Items())
            attempts.AddRow(a.Str("attempt"), Markup.Escape(a.Str("node")), a.Time("placedAt"), a.Time("startedAt"), a.Time("endedAt"),
                Markup.Escape(a.Str("outcome")), a.Str("exitCode"), Markup.Escape(a.Str("reason")));
        run.Output.Write(attempts.Title("Attempts"));

        if (reply?["placement"] is JsonObject placement)
        {
            var terms = placement["terms"] as JsonObject ?? [];
            run.Output.Line($"[bold]Placement[/]: chose {Markup.Escape(placement.Str("chosen"))} (score {placement.Str("score")}; " +
                $"{placement.Str("bidsReceived")} of {placement.Str("bidsAsked")} bids) " +
                Markup.Escape(string.Join(", ", terms.Select(t => $"{t.Key}={t.Value}"))));
            var others = CommandOutput.Table("Other candidate", "Verdict");
            foreach (var other in placement.Arr("others").Items()) others.AddRow(Markup.Escape(other.Str("node")), Markup.Escape(other.Str("verdict")));
            if (placement.Arr("others").Count > 0) run.Output.Write(others);
        }
        else
        {
            run.Output.Text("Placement: no explanation recorded (not placed yet, or placed before explanations existed).");
        }

        var history = CommandOutput.Table("Seq", "At", "Event", "Details");
        foreach (var entry in task.Arr("history").Items()) history.AddRow(entry.Str("seq"), entry.Time("at"), Markup.Escape(entry.Str("type")), Markup.Escape(Details(entry)));
        run.Output.Write(history.Title("History"));
    }

    private static async Task CancelAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var reply = await run.Client.DeleteAsync($"/v1/operator/tasks/{Uri.EscapeDataString(run.Required("id"))}", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(reply);
            return;
        }
        run.Output.Text($"Task {reply.Str("id")} is {reply.Str("state")}.");
    }

    private static async Task WatchAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var id = run.Required("id");
        string? last = null;
        try
        {
            await foreach (var message in run.Client.StreamAsync($"/v1/operator/tasks/{Uri.EscapeDataString(id)}/events", cancel))
            {
                var entry = JsonNode.Parse(message.Data);
                last = message.Event;
                if (run.Output.Json) run.Output.WriteJsonLine(entry);
                else run.Output.Text($"{entry.Str("seq"),4}  {entry.Time("at")}  {message.Event,-14} {Details(entry)}");
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return;
        }
        if (!run.Output.Json && last is not null && Terminal.Contains(last)) run.Output.Text($"Task {id} ended: {last}.");
    }

    private static async Task LogsAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var logs = await run.Client.GetAsync($"/v1/operator/tasks/{Uri.EscapeDataString(run.Required("id"))}/logs", cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(logs);
            return;
        }
        run.Output.Line($"[grey]── stdout (attempt {logs.Str("attempt")} on {Markup.Escape(logs.Str("node"))}, task {Markup.Escape(logs.Str("state"))}) ──[/]");
        run.Output.Text(logs.Str("stdoutTail").TrimEnd('\n'));
        run.Output.Line("[grey]── stderr ──[/]");
        run.Output.Text(logs.Str("stderrTail").TrimEnd('\n'));
    }

    private static async Task MetricsAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var path = $"/v1/operator/tasks/{Uri.EscapeDataString(run.Required("id"))}/metrics";
        string Query(params string[] names) => string.Join("&", names.Where(n => run.Value(n) is not null).Select(n => $"{n}={Uri.EscapeDataString(run.Value(n)!)}"));
        if (run.Value("follow") is not null)
        {
            await FollowMetricsAsync(run, path + "/stream?" + Query("names"), cancel);
            return;
        }
        if (run.Value("csv") is not null)
        {
            run.Output.Raw((await run.Client.GetTextAsync(path + "?format=csv&" + Query("names", "since"), cancel)).Body);
            return;
        }
        var metrics = await run.Client.GetAsync(path + "?" + Query("names", "since"), cancel);
        if (run.Output.Json)
        {
            run.Output.WriteJson(metrics);
            return;
        }
        var table = CommandOutput.Table("Series", "Latest", "Line", "At", "Min", "Max", "Points");
        foreach (var (name, series) in metrics?["series"] as JsonObject ?? [])
        {
            var points = series as JsonArray ?? [];
            if (points.Count == 0) continue;
            var values = points.Select(p => p?["value"]?.GetValue<double>() ?? double.NaN).ToList();
            var last = points[^1];
            table.AddRow(Markup.Escape(name), Number(values[^1]), $"{last.Str("attempt")}:{last.Str("seq")}", last.Time("at"),
                Number(values.Min()), Number(values.Max()), points.Count.ToString(CultureInfo.InvariantCulture));
        }
        run.Output.Write(table);
        run.Output.Text($"{metrics.Str("points")} point(s) kept for task {metrics.Str("task")} ({metrics.Str("state")})" +
            (metrics?["truncated"] is { } truncated ? $"; {truncated}" : ""));
    }

    private static async Task FollowMetricsAsync(OperatorInvocation run, string stream, CancellationToken cancel)
    {
        try
        {
            await foreach (var message in run.Client.StreamAsync(stream, cancel))
            {
                var line = JsonNode.Parse(message.Data);
                if (run.Output.Json) run.Output.WriteJsonLine(line);
                else if (message.Event == "end") run.Output.Text($"Task ended: {line.Str("state")}.");
                else run.Output.Text($"{line.Str("attempt")}:{line.Str("seq"),-6} {line.Time("at")}  " +
                    string.Join("  ", (line?["values"] as JsonObject ?? []).Select(v => $"{v.Key}={Number(v.Value?.GetValue<double>() ?? double.NaN)}")));
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    // The interesting fields of one history entry, on one line.
    private static string Details(JsonNode? entry) =>
        string.Join(" ", (entry as JsonObject ?? [])
            .Where(p => p.Key is not ("seq" or "type" or "at" or "spec" or "stdoutTail" or "stderrTail" or "explanation" or "quota") && p.Value is not null)
            .Select(p => $"{p.Key}={(p.Value is JsonValue v ? v.ToString() : p.Value!.ToJsonString())}"));

    private static string StateMarkup(string state) => state switch
    {
        "succeeded" => "[green]succeeded[/]",
        "failed" => "[red]failed[/]",
        "cancelled" => "[grey]cancelled[/]",
        "running" => "[blue]running[/]",
        _ => Markup.Escape(state),
    };
}
