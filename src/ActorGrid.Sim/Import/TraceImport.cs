using System.Globalization;
using System.Text.Json;
using ActorGrid.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Trace;
using CsvHelper;

namespace ActorGrid.Sim.Import;

// Public GPU-cluster job logs turned into the simulator's trace: one batch training task per job
// (per task for PAI), on any GPU with the job's GPU count, with no origin and no zones, submitted
// on the log's clock from its first submission, run time as the log measured it (on whatever GPU
// the cluster had: we treat it as the reference chip). ArrivalScale K divides submission times by
// K: the same jobs arriving K times as densely. Jobs asking for more than MaxChips GPUs (a
// multi-node gang the simulator keeps on one node) are clamped to MaxChips and counted.
public sealed record ImportOptions(double ArrivalScale = 1, int MaxChips = 8);

public sealed record ImportResult(IReadOnlyList<TraceRow> Rows, int Skipped, int Clamped);

public static class TraceImport
{
    public const string Philly = "philly";
    public const string Pai = "pai";
    public const string Helios = "helios";

    public static readonly IReadOnlyList<string> Formats = [Philly, Pai, Helios];

    private record struct Job(double SubmitS, string User, int Gpus, double Cpus, long MemoryMiB, double DurationS);

    // `input` is the job log; for PAI it is the task table with the job table beside it
    // (pai_task_table.csv and pai_job_table.csv in one folder, or the folder itself).
    public static ImportResult Import(string format, string input, ImportOptions options) => format switch
    {
        Philly => Finish(ReadPhilly(File.ReadAllText(input), input), options),
        Pai => Finish(ReadPai(PaiPaths(input)), options),
        Helios => Finish(ReadHelios(input), options),
        _ => throw new ArgumentException($"unknown trace format '{format}'; expected one of {string.Join(", ", Formats)}"),
    };

    private static ImportResult Finish((List<Job> Jobs, int Skipped) read, ImportOptions options)
    {
        if (!(options.ArrivalScale > 0)) throw new ArgumentException("the arrival scale must be greater than 0");
        var jobs = read.Jobs.OrderBy(j => j.SubmitS).ToList();
        var origin = jobs.Count == 0 ? 0 : jobs[0].SubmitS;
        var clamped = 0;
        var rows = new List<TraceRow>(jobs.Count);
        foreach (var j in jobs)
        {
            var gpus = j.Gpus;
            if (gpus > options.MaxChips)
            {
                gpus = options.MaxChips;
                clamped++;
            }
            var cpus = j.Cpus > 0 ? j.Cpus : Math.Max(1, 4 * gpus);
            var memory = j.MemoryMiB > 0 ? j.MemoryMiB : 16_384L * Math.Max(1, gpus);
            rows.Add(new TraceRow(Math.Round((j.SubmitS - origin) / options.ArrivalScale, 3), j.User, gpus > 0 ? "training" : "analysis", Lanes.Batch,
                cpus, memory, gpus > 0 ? ChipDemand.AnyModelName : null, gpus, Math.Round(j.DurationS, 3), null, null, null, []));
        }
        return new ImportResult(rows, read.Skipped, clamped);
    }

    // Philly (msr-fiddle/philly-traces, cluster_job_log): a JSON list of jobs, each with
    // submitted_time and attempts [{ start_time, end_time, detail: [{ ip, gpus: [..] }] }]. Run time:
    // the attempts' run times added up (a failed attempt held its GPUs too); GPUs: the last attempt's.
    // Jobs with no timed attempt or no GPU are skipped.
    private static (List<Job>, int) ReadPhilly(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException($"philly log '{source}' must be a JSON list of jobs");
        var jobs = new List<Job>();
        var skipped = 0;
        foreach (var job in doc.RootElement.EnumerateArray())
        {
            if (Time(job, "submitted_time") is not { } submit || !job.TryGetProperty("attempts", out var attempts) || attempts.ValueKind != JsonValueKind.Array)
            {
                skipped++;
                continue;
            }
            double run = 0;
            var gpus = 0;
            foreach (var a in attempts.EnumerateArray())
            {
                if (Time(a, "start_time") is not { } start || Time(a, "end_time") is not { } end || end < start) continue;
                run += end - start;
                gpus = a.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Array
                    ? detail.EnumerateArray().Sum(d => d.TryGetProperty("gpus", out var g) && g.ValueKind == JsonValueKind.Array ? g.GetArrayLength() : 0)
                    : 0;
            }
            if (run <= 0 || gpus <= 0)
            {
                skipped++;
                continue;
            }
            var user = job.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "philly";
            jobs.Add(new Job(submit, user, gpus, 0, 0, run));
        }
        return (jobs, skipped);

        static double? Time(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Seconds(v.GetString()) : null;
    }

    private static (string Tasks, string Jobs) PaiPaths(string input)
    {
        var dir = Directory.Exists(input) ? input : Path.GetDirectoryName(Path.GetFullPath(input))!;
        var tasks = Directory.Exists(input) ? Path.Combine(dir, "pai_task_table.csv") : input;
        var jobs = Path.Combine(dir, "pai_job_table.csv");
        if (!File.Exists(tasks)) throw new FileNotFoundException($"PAI task table '{tasks}' does not exist", tasks);
        if (!File.Exists(jobs)) throw new FileNotFoundException($"PAI job table '{jobs}' does not exist beside the task table", jobs);
        return (tasks, jobs);
    }

    // Alibaba PAI 2020 (alibaba/clusterdata, cluster-trace-gpu-v2020), header-less CSVs:
    //   pai_job_table:  job_name,inst_id,user,status,start_time,end_time   (start_time: submission)
    //   pai_task_table: job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type
    // plan_cpu in percent of a core, plan_mem in GB, plan_gpu in percent of a GPU per instance. One
    // trace row per task: a gang of inst_num instances, each rounded up to whole GPUs; submitted
    // with its job; run time end - start. Tasks without both times, or whose job is unknown, skipped.
    private static (List<Job>, int) ReadPai((string Tasks, string Jobs) paths)
    {
        var submitted = new Dictionary<string, (double Submit, string User)>(StringComparer.Ordinal);
        foreach (var f in Rows(paths.Jobs, hasHeader: false))
            if (f.Length >= 6 && Number(f[4]) is { } start) submitted[f[0]] = (start, f[2]);
        var jobs = new List<Job>();
        var skipped = 0;
        foreach (var f in Rows(paths.Tasks, hasHeader: false))
        {
            if (f.Length < 10 || !submitted.TryGetValue(f[0], out var job) || Number(f[4]) is not { } start || Number(f[5]) is not { } end || end <= start)
            {
                skipped++;
                continue;
            }
            var instances = (int)Math.Max(1, Number(f[2]) ?? 1);
            var gpusEach = (int)Math.Ceiling((Number(f[8]) ?? 0) / 100);
            jobs.Add(new Job(job.Submit, job.User, gpusEach * instances, instances * (Number(f[6]) ?? 0) / 100,
                (long)(instances * (Number(f[7]) ?? 0) * 1024), end - start));
        }
        return (jobs, skipped);
    }

    // Helios (S-Lab-System-Group/HeliosData, cluster_log.csv) and Slurm sacct exports, by header:
    // submit_time (or submit), gpu_num (or gpus / alloc_gpus), cpu_num (or cpus / ncpus, optional),
    // duration in seconds (or elapsed, or start_time and end_time). Times as Unix seconds or
    // "yyyy-MM-dd HH:mm:ss". Rows without a submission or a positive run time are skipped.
    private static (List<Job>, int) ReadHelios(string path)
    {
        var jobs = new List<Job>();
        var skipped = 0;
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { HasHeader = true, Separator = ',', TrimWhitespace = true });
        var header = csv.Headers.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        if (header.Length == 0) throw new FormatException($"helios log '{path}' has no header");
        int? Col(params string[] names) => names.Select(n => Array.IndexOf(header, n)).FirstOrDefault(i => i >= 0, -1) is var i and >= 0 ? i : null;
        string? Field(int? col) => col is { } c && c < csv.FieldCount ? csv.GetString(c) : null;
        var submitCol = Col("submit_time", "submit") ?? throw new FormatException($"helios log '{path}' has no submit_time column");
        var gpuCol = Col("gpu_num", "gpus", "alloc_gpus", "ngpus") ?? throw new FormatException($"helios log '{path}' has no gpu_num column");
        var cpuCol = Col("cpu_num", "cpus", "ncpus", "alloc_cpus");
        var durationCol = Col("duration", "elapsed", "elapsed_s");
        var startCol = Col("start_time", "start");
        var endCol = Col("end_time", "end");
        var userCol = Col("user", "user_name");
        while (csv.Read())
        {
            var submit = Seconds(Field(submitCol));
            var duration = Number(Field(durationCol));
            if (duration is null && Seconds(Field(startCol)) is { } s && Seconds(Field(endCol)) is { } e) duration = e - s;
            if (submit is null || duration is not > 0)
            {
                skipped++;
                continue;
            }
            var gpus = (int)(Number(Field(gpuCol)) ?? 0);
            var cpus = Number(Field(cpuCol)) ?? 0;
            jobs.Add(new Job(submit.Value, Field(userCol) is { Length: > 0 } user ? user : "helios", gpus, cpus, 0, duration.Value));
        }
        return (jobs, skipped);
    }

    private static IEnumerable<string[]> Rows(string path, bool hasHeader)
    {
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { HasHeader = hasHeader, Separator = ',', TrimWhitespace = true });
        while (csv.Read())
        {
            var fields = new string[csv.FieldCount];
            for (var i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i);
            yield return fields;
        }
    }

    private static double? Number(string? text) =>
        double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    // Unix seconds, or a date and time (taken as UTC: only differences matter).
    private static double? Seconds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (Number(text) is { } n) return n;
        return DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? (t - DateTime.UnixEpoch).TotalSeconds : null;
    }
}
