using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorGrid.Cli.Output;

// Where results go: Spectre.Console tables for people, or the gateway's JSON as is (--json) for
// scripts. Errors never come here; they go to stderr as one line (see Shell/CommandTree).
public sealed class CommandOutput(bool json, TextWriter writer)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions OneLine = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IAnsiConsole _console = CreateConsole(writer);

    public bool Json { get; } = json;

    public void WriteJson(JsonNode? node) => writer.WriteLine(node?.ToJsonString(Indented) ?? "null");

    // One JSON document per line, for streams (`tail`, `watch` with --json).
    public void WriteJsonLine(JsonNode? node)
    {
        writer.WriteLine(node?.ToJsonString(OneLine) ?? "null");
        writer.Flush();
    }

    // Text exactly as given (a CSV export): no markup, no wrapping at the console width.
    public void Raw(string text)
    {
        writer.Write(text);
        writer.Flush();
    }

    // Progress of a long command goes to stderr, so stdout stays the result a script captures.
    public static void Progress(string line) => Console.Error.WriteLine("actorgrid: " + line);

    public void Write(IRenderable renderable) => _console.Write(renderable);

    public void Line(string markup) => _console.MarkupLine(markup);

    public void Text(string text) => _console.WriteLine(text);

    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn($"[bold]{Markup.Escape(column)}[/]"));
        return table;
    }

    // A two-column "field: value" table for one object.
    public static Table Fields(IEnumerable<(string Field, string? Value)> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("field").AddColumn("value");
        foreach (var (field, value) in rows) table.AddRow(new Markup($"[grey]{Markup.Escape(field)}[/]"), new Text(value ?? "-"));
        return table;
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        // Piped output has no terminal width; cluster addresses are long, so do not wrap at 80.
        if (Console.IsOutputRedirected || writer != Console.Out)
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 40 ? columns : 200;
        return console;
    }
}
