using System.Globalization;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Import;

// actorgrid-sim import --format philly|pai|helios IN OUT.csv [--arrival-scale K] [--max-chips N]
public static class ImportCommand
{
    public const string Usage = "actorgrid-sim import --format philly|pai|helios IN OUT.csv [--arrival-scale K] [--max-chips N]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? format = null;
        var paths = new List<string>();
        var options = new ImportOptions();
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                switch (args[i])
                {
                    case "--format": format = Next(ref i); break;
                    case "--arrival-scale": options = options with { ArrivalScale = Number(args[i], Next(ref i)) }; break;
                    case "--max-chips": options = options with { MaxChips = (int)Number(args[i], Next(ref i)) }; break;
                    case "--help" or "-h":
                        stdout.WriteLine(Usage);
                        return 0;
                    default:
                        if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unknown option '{args[i]}'");
                        paths.Add(args[i]);
                        break;
                }
            }
            if (format is null) throw new ArgumentException("import needs --format philly|pai|helios");
            if (paths.Count != 2) throw new ArgumentException("import needs an input log and an output CSV");
            if (!TraceImport.Formats.Contains(format)) throw new ArgumentException($"unknown trace format '{format}'; expected one of {string.Join(", ", TraceImport.Formats)}");
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine($"actorgrid-sim import: {ex.Message} ({Usage})");
            return 2;
        }

        try
        {
            if (format != TraceImport.Pai && !File.Exists(paths[0])) throw new FileNotFoundException($"trace log '{paths[0]}' does not exist", paths[0]);
            var result = TraceImport.Import(format, paths[0], options);
            File.WriteAllText(paths[1], TraceCsv.Write(result.Rows));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Rows.Count} tasks written to {paths[1]} ({result.Skipped} skipped, {result.Clamped} clamped to {options.MaxChips} chips, arrivals x{options.ArrivalScale:0.##})"));
            return 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or FormatException or IOException or System.Text.Json.JsonException or CsvHelper.CsvFormatException)
        {
            stderr.WriteLine($"actorgrid-sim import: {ex.Message.Split('\n')[0]}");
            return 2;
        }

        string Next(ref int i) =>
            i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    }

    private static double Number(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
            : throw new ArgumentException($"{option} takes a positive number, not '{text}'");
}
