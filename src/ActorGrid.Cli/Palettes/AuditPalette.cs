using System.Globalization;
using System.Text;
using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Output;
using static ActorGrid.Cli.Palettes.OperatorParameter;

namespace ActorGrid.Cli.Palettes;

// `audit export`: one tenant's inference audit trail (hash-chained records) as CSV or JSON lines,
// for an auditor or a spreadsheet. Read in pages with afterSeq so a long trail neither times out
// nor sits in the gateway's memory at once; progress goes to stderr, the records to stdout or --out.
public static class AuditPalette
{
    private const int DefaultPageSize = 10_000;
    private const int MaxPageSize = 100_000;

    public static IOperatorPalette Create() => new OperatorPalette("audit", "Inference audit trail: export.",
    [
        new OperatorCommand("export", "A tenant's audit records between two times, oldest first, as CSV (default) or JSON lines.",
        [
            Opt("tenant", "Whose trail.", required: true),
            Opt("model", "Only this model's records."),
            Opt("from", "Start time, ISO 8601 (e.g. 2026-11-23T09:00:00Z).", required: true),
            Opt("to", "End time, ISO 8601.", required: true),
            Opt("format", "csv (default) or jsonl (the default with --json).", allowed: ["csv", "jsonl"]),
            Opt("out", "Write to this file instead of stdout (replaced only when the export is complete)."),
            Opt("page-size", $"Records per request (1-{MaxPageSize}, default {DefaultPageSize})."),
        ], ExportAsync),
    ]);

    private static async Task ExportAsync(OperatorInvocation run, CancellationToken cancel)
    {
        var tenant = run.Required("tenant");
        var from = Time(run, "from");
        var to = Time(run, "to");
        var format = run.Value("format") ?? (run.Output.Json ? "jsonl" : "csv");
        var pageSize = run.Value("page-size") is { } size
            ? int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxPageSize
                ? n
                : throw new CommandFailedException(ExitCodes.Usage, $"--page-size '{size}' must be a whole number from 1 to {MaxPageSize}.")
            : DefaultPageSize;
        var outPath = run.Value("out") is { } o ? Path.GetFullPath(o) : null;
        if (outPath is not null && !Directory.Exists(Path.GetDirectoryName(outPath)))
            throw new CommandFailedException(ExitCodes.Usage, $"--out '{outPath}': the folder does not exist; create it or choose another path.");

        var query = $"/v1/operator/audit?tenant={Uri.EscapeDataString(tenant)}&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}" +
            $"&format={format}&limit={pageSize}" + (run.Value("model") is { } model ? "&model=" + Uri.EscapeDataString(model) : "");
        var partial = outPath is null ? null : outPath + ".partial";
        try
        {
            long total;
            if (partial is null)
            {
                total = await CopyPagesAsync(run.Client, query, format, pageSize, run.Output.Raw, cancel);
                CommandOutput.Progress($"exported {total} audit record(s) of tenant {tenant}.");
                return;
            }
            await using (var file = new StreamWriter(Open(partial), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
                total = await CopyPagesAsync(run.Client, query, format, pageSize, file.Write, cancel);
            Io(outPath!, () => File.Move(partial, outPath!, overwrite: true));
            run.Output.Text($"Exported {total} audit record(s) of tenant {tenant} to {outPath}.");
        }
        catch (Exception ex) when (partial is not null && ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(ExitCodes.Usage, $"Cannot write '{outPath}' ({ex.Message}); choose a writable --out path.");
        }
        finally
        {
            if (partial is not null && File.Exists(partial)) File.Delete(partial);
        }
    }

    // Pages until one comes back short; the gateway says how many records each held and the last
    // seq, so the body is never parsed here. A CSV header is written once.
    private static async Task<long> CopyPagesAsync(GridClient client, string query, string format, int pageSize, Action<string> write, CancellationToken cancel)
    {
        long total = 0, afterSeq = 0;
        for (var page = 0; ; page++)
        {
            var reply = await client.GetTextAsync($"{query}&afterSeq={afterSeq}", cancel);
            var body = reply.Body;
            if (format == "csv" && page > 0) body = body[(body.IndexOf('\n') + 1)..];
            write(body);
            if (!int.TryParse(reply.Header("X-Audit-Records"), CultureInfo.InvariantCulture, out var records)
                || !long.TryParse(reply.Header("X-Audit-Last-Seq"), CultureInfo.InvariantCulture, out var lastSeq))
                return total + Math.Max(0, records); // an empty page, or a gateway that does not page
            total += records;
            if (records < pageSize) return total;
            afterSeq = lastSeq;
            CommandOutput.Progress($"{total} record(s) so far…");
        }
    }

    private static string Time(OperatorInvocation run, string name)
    {
        var text = run.Required(name);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            ? text
            : throw new CommandFailedException(ExitCodes.Usage, $"--{name} '{text}' is not a time; use ISO 8601, e.g. 2026-11-23T09:00:00Z.");
    }

    private static FileStream Open(string path) => Io(path, () => new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None));

    private static T Io<T>(string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(ExitCodes.Usage, $"Cannot write '{path}' ({ex.Message}); choose a writable --out path.");
        }
    }

    private static void Io(string path, Action action) => Io(path, () =>
    {
        action();
        return true;
    });
}
