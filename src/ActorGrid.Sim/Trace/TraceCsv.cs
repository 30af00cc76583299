using System.Globalization;
using System.Text;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Sim.Trace;

// The trace format of the simulator's contract. Header, in this order:
//   submit_s,tenant,kind,lane,cpu,memory_mib,chip_model,chip_count,duration_s,origin_site,sla_ms,deadline_s,zones
// zones separated by ';' (empty = any); empty chip_model = no chip, `any` = any GPU; empty
// origin_site = no origin; empty sla_ms / deadline_s = none.
public static class TraceCsv
{
    public const string Header = "submit_s,tenant,kind,lane,cpu,memory_mib,chip_model,chip_count,duration_s,origin_site,sla_ms,deadline_s,zones";

    public static IReadOnlyList<TraceRow> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"trace file '{path}' does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    // Throws FormatException naming the file, the line and the column.
    public static IReadOnlyList<TraceRow> Parse(string text, string source)
    {
        var lines = text.Split('\n');
        var first = 0;
        while (first < lines.Length && lines[first].Trim().Length == 0) first++;
        if (first == lines.Length) throw new FormatException($"trace '{source}' is empty; its first line must be the header {Header}");
        if (lines[first].Trim().TrimStart('\uFEFF') != Header)
            throw new FormatException($"trace '{source}' line {first + 1}: the header must be exactly {Header}");

        var rows = new List<TraceRow>();
        for (var n = first + 1; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            rows.Add(ParseRow(line, $"trace '{source}' line {n + 1}"));
        }
        return rows;
    }

    private static TraceRow ParseRow(string line, string where)
    {
        var f = line.Split(',');
        if (f.Length != 13) throw new FormatException($"{where}: has {f.Length} fields, the header has 13");
        for (var i = 0; i < f.Length; i++) f[i] = f[i].Trim();

        var lane = f[3];
        if (!Lanes.All.Contains(lane)) throw new FormatException($"{where}: lane '{lane}' is not one of {string.Join(", ", Lanes.All)}");
        var chipModel = f[6].Length == 0 ? null : f[6];
        var chipCount = f[7].Length == 0 ? 0 : Int(f[7], "chip_count");
        if (chipModel is not null && chipCount <= 0) throw new FormatException($"{where}: chip_count must be at least 1 when chip_model is '{chipModel}'");
        if (chipModel is null && chipCount > 0) throw new FormatException($"{where}: chip_count is {chipCount} but chip_model is empty");

        var submit = Num(f[0], "submit_s");
        var cpu = Num(f[4], "cpu");
        var memory = Long(f[5], "memory_mib");
        var duration = Num(f[8], "duration_s");
        double? sla = f[10].Length == 0 ? null : Num(f[10], "sla_ms");
        double? deadline = f[11].Length == 0 ? null : Num(f[11], "deadline_s");
        if (submit < 0) throw new FormatException($"{where}: submit_s must not be negative");
        if (cpu < 0 || memory < 0) throw new FormatException($"{where}: cpu and memory_mib must not be negative");
        if (duration < 0) throw new FormatException($"{where}: duration_s must not be negative");
        if (sla is <= 0) throw new FormatException($"{where}: sla_ms must be greater than 0");
        if (deadline < submit) throw new FormatException($"{where}: deadline_s {deadline} is before submit_s {submit} (deadlines are on the trace's clock)");
        var zones = f[12].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        return new TraceRow(submit, f[1], f[2], lane, cpu, memory, chipModel, chipCount, duration,
            f[9].Length == 0 ? null : f[9], sla, deadline, zones);

        double Num(string text, string column) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw new FormatException($"{where}: {column} must be a number, not '{text}'");
        long Long(string text, string column) =>
            long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw new FormatException($"{where}: {column} must be a whole number, not '{text}'");
        int Int(string text, string column) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw new FormatException($"{where}: {column} must be a whole number, not '{text}'");
    }

    public static string Write(IEnumerable<TraceRow> rows)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{r.SubmitS:0.###},{r.Tenant},{r.Kind},{r.Lane},{r.Cpu:0.###},{r.MemoryMiB},{r.ChipModel},{(r.ChipModel is null ? "" : r.ChipCount)},{r.DurationS:0.###},{r.OriginSite},{r.SlaMs:0.###},{r.DeadlineS:0.###},{string.Join(';', r.Zones)}\n");
        }
        return text.ToString();
    }
}
