using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ActorGrid.Worker;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Training;
using Xunit.Abstractions;

namespace ActorGrid.Runtime.Tests.Workers;

// samples/gauge-dial run for real: two ranks of train.py as separate processes on loopback,
// rendezvousing through gloo exactly as they would on two hosts, with the environment a worker
// gives an attempt. The settings are tiny so a run fits a loaded two-core build machine; the
// timeouts are generous and only the end results are asserted, never how long they took.
// The sample needs Debian's PyTorch: a machine without it fails here with the packages to
// install, because a skipped spec would hide that the sample is no longer checked at all.
public sealed class GaugeDialSampleSpecs : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);
    private static readonly OnnxSessionFactory Sessions = new(InferenceSettings.Default);

    private readonly ITestOutputHelper _log;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "actorgrid-tests", "gauge-dial-" + Guid.NewGuid().ToString("n"));
    private readonly string _sample = FindSample();

    public GaugeDialSampleSpecs(ITestOutputHelper log)
    {
        _log = log;
        Directory.CreateDirectory(_dir);
        if (TorchMissing.Value is { } missing) Assert.Fail(missing);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string CheckpointDir => Path.Combine(_dir, "checkpoints");
    private string OutputDir => Path.Combine(_dir, "output");

    [Fact]
    public async Task Should_train_on_two_ranks_and_export_a_model_that_reads_a_freshly_drawn_dial()
    {
        var ranks = await RunRanksAsync(["--epochs", "2", "--samples", "1920", "--val-samples", "256", "--batch-size", "32"]);

        var progress = ranks[0].Progress;
        Assert.NotEmpty(progress);
        // Every line ActorGrid takes for progress carries the step; the loss must come down from
        // the first report to the last epoch's, or the ranks did not really learn together.
        Assert.All(progress, p => Assert.True(p.Metrics is not null && p.Metrics.ContainsKey("step"), "a progress line without a step"));
        var losses = progress.Where(p => p.Metrics!.ContainsKey("loss")).Select(p => p.Metrics!["loss"]).ToList();
        Assert.True(losses.Count >= 3, $"expected several loss reports, got {losses.Count}");
        Assert.True(losses[^1] < losses[0] / 2, $"loss should fall by half at least: {string.Join(", ", losses)}");
        var last = progress[^1];
        Assert.Equal(1.0, last.Progress!.Value);
        Assert.True(last.Metrics!.ContainsKey("val_loss"));
        Assert.True(last.Metrics["val_mae_deg"] < 20, $"val_mae_deg {last.Metrics["val_mae_deg"]}");
        // Only rank 0 reports; rank 1's stdout has nothing ActorGrid would take for progress.
        Assert.Empty(ranks[1].Progress);
        Assert.True(File.Exists(Path.Combine(CheckpointDir, "checkpoint.pt")));

        var modelPath = Path.Combine(OutputDir, "model.onnx");
        Assert.True(File.Exists(modelPath), "rank 0 should have exported model.onnx");
        using var model = new LoadedModel(Sessions.Open(modelPath));
        var input = Assert.Single(model.Signature.Inputs);
        Assert.Equal(("image", "float32"), (input.Name, input.Type));
        Assert.Equal([-1L, 1, 64, 64], input.Shape);
        var output = Assert.Single(model.Signature.Outputs);
        Assert.Equal("angle", output.Name);

        // Dials the model never saw (draw.py's own jitter seeds), away from the ends of the sweep
        // where the clamp would flatter it, sent as one batch through the dynamic batch axis.
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var angles = Enumerable.Range(0, 3).Select(_ => 15 + random.NextDouble() * 240).ToArray();
        var pixels = new List<float>();
        for (var i = 0; i < angles.Length; i++) pixels.AddRange(await DrawAsync(angles[i], 100 + i));
        var answer = TensorPayloads.ToFloat32(model.Run([
            new Dictionary<string, Protocol.Inference.TensorPayload> { ["image"] = TensorPayloads.Float32([angles.Length, 1, 64, 64], pixels.ToArray()) },
        ])[0]["angle"]);

        Assert.Equal(angles.Length, answer.Length);
        for (var i = 0; i < angles.Length; i++)
        {
            _log.WriteLine($"drawn at {angles[i]:F1} deg, read as {answer[i]:F1} deg");
            Assert.True(Math.Abs(answer[i] - angles[i]) < 25,
                $"dial drawn at {angles[i]:F1} deg was read as {answer[i]:F1} deg (random seed {seed})");
        }
    }

    [Fact]
    public async Task Should_resume_from_the_checkpoint_of_an_earlier_run_on_every_rank()
    {
        string[] tiny = ["--samples", "256", "--val-samples", "64", "--batch-size", "32"];
        var first = await RunRanksAsync(["--epochs", "1", .. tiny]);
        Assert.DoesNotContain("\"resumed\"", first[0].Stdout);
        var firstStep = first[0].Progress[^1].Metrics!["step"];

        // The same task started again, as a retried attempt would be, with the same checkpoint
        // directory and more epochs to go: it must carry on from where the first run stopped.
        var second = await RunRanksAsync(["--epochs", "2", .. tiny]);

        var firstLine = second[0].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
        using var resumed = System.Text.Json.JsonDocument.Parse(firstLine);
        Assert.True(resumed.RootElement.GetProperty("resumed").GetBoolean(), firstLine);
        var step = resumed.RootElement.GetProperty("step").GetDouble();
        Assert.True(step > 0, firstLine);
        Assert.Equal(firstStep, step);
        Assert.Equal(1, resumed.RootElement.GetProperty("epoch").GetInt32());
        // It trained only the second epoch: its steps start after the checkpoint's.
        Assert.All(second[0].Progress, p => Assert.True(p.Metrics!["step"] > step, $"step {p.Metrics["step"]} is not after {step}"));
        Assert.Equal(2 * step, second[0].Progress[^1].Metrics!["step"]);
        Assert.True(File.Exists(Path.Combine(OutputDir, "model.onnx")));
    }

    private sealed record RankRun(int Rank, int ExitCode, string Stdout, string Stderr)
    {
        public List<ProcessProgress> Progress { get; } = Stdout.Split('\n')
            .Select(ProcessExecution.TryParseProgress).OfType<ProcessProgress>().ToList();
    }

    // Both ranks at once, each with the torchrun-style environment a training task's attempt gets.
    // A rank that exits non-zero stops the other at once, as a worker stops a gang: a survivor
    // would otherwise wait in the rendezvous or a collective until the run timeout and hide
    // which rank failed and why. Every rank's exit code and stderr are reported either way.
    private async Task<RankRun[]> RunRanksAsync(IReadOnlyList<string> args)
    {
        var port = FreePort();
        using var stopAll = new CancellationTokenSource(RunTimeout);
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(async rank =>
        {
            var (exitCode, stdout, stderr) = await RunAsync(["train.py", .. args], RankEnvironment(rank, port), stopAll.Token);
            if (exitCode != 0) await stopAll.CancelAsync();
            return new RankRun(rank, exitCode, stdout, stderr);
        }));
        foreach (var run in runs) _log.WriteLine($"--- rank {run.Rank} exited {run.ExitCode} (port {port})\n{run.Stdout}{run.Stderr}");
        if (runs.Any(r => r.ExitCode != 0))
        {
            Assert.Fail(string.Join("\n", runs.Select(r =>
                $"rank {r.Rank} {(r.ExitCode == Stopped ? "was stopped" : $"exited {r.ExitCode}")} (MASTER_PORT {port}):\n{r.Stderr}")));
        }
        return runs;
    }

    // The exit code reported for a process this spec killed: past the run timeout, or because
    // the other rank had already failed.
    private const int Stopped = -1;

    private Dictionary<string, string> RankEnvironment(int rank, int port) => new()
    {
        ["RANK"] = rank.ToString(CultureInfo.InvariantCulture),
        ["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture),
        ["WORLD_SIZE"] = "2",
        ["LOCAL_WORLD_SIZE"] = "2",
        ["MASTER_ADDR"] = "127.0.0.1",
        ["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["ACTORGRID_CHECKPOINT_DIR"] = CheckpointDir,
        ["ACTORGRID_OUTPUT_DIR"] = OutputDir,
        // One thread a rank: two ranks share two cores, and oversubscribing them only slows both.
        ["OMP_NUM_THREADS"] = "1",
        ["PYTHONFAULTHANDLER"] = "1",
    };

    private async Task<float[]> DrawAsync(double angle, int seed)
    {
        var file = Path.Combine(_dir, $"dial-{seed}.f32");
        using var timeout = new CancellationTokenSource(RunTimeout);
        var run = await RunAsync(["draw.py", "--angle", angle.ToString("R", CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture), "--out", file], new Dictionary<string, string>(), timeout.Token);
        Assert.True(run.ExitCode == 0, $"draw.py exited {run.ExitCode}:\n{run.Stderr}");
        var bytes = await File.ReadAllBytesAsync(file);
        Assert.Equal(64 * 64 * sizeof(float), bytes.Length);
        var pixels = new float[64 * 64];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return pixels;
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> env, CancellationToken stop)
    {
        var info = new ProcessStartInfo(Python)
        {
            WorkingDirectory = _sample,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        // The PATH a worker's sandbox has, so nothing here leans on a developer's shell.
        info.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (k, v) in env) info.Environment[k] = v;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync(stop);
        }
        catch (OperationCanceledException)
        {
            // Past the run timeout or the other rank failed: this process must not outlive the spec.
            // SIGABRT first: with PYTHONFAULTHANDLER set, Python prints every thread's stack on its
            // stderr, so a rank that hung says where (a collective, the process group's teardown,
            // interpreter exit) in the failure message instead of only that it was stopped.
            if (SendSignal(process.Id, SigAbrt) == 0)
            {
                using var dumped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await process.WaitForExitAsync(dumped.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (Stopped, await stdout, $"stopped ({string.Join(' ', args)}): past {RunTimeout} or its peer failed\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private const int SigAbrt = 6;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    // As a worker picks it: a port of the default range released by the kernel for ephemeral use
    // here could be taken by a client socket of a test running beside this one before rank 0
    // binds it (rank 0 then fails and rank 1 waits out the run timeout).
    // Not the workers' range (actorgrid.worker.rendezvous-ports, 29500-29999): the Grid tests' real
    // workers start gangs from it on this machine at the same time, and two jobs that both find a
    // port free before either binds it would share one rendezvous (it has no job identity). Seen
    // twice in 22 runs beside the Grid suite: this spec's rank 0 trained both epochs with some
    // rank 1 and exited 0, while this spec's rank 1 never reported and was stopped at the 4-minute
    // timeout; that port range was the one thing the two shared. It happened again in CI from this
    // range (rank 0 exit 0 after both epochs, rank 1 silent until stopped), so a shared port was
    // not the whole story; the stack dump above is there to say where rank 1 waits next time.
    private static int FreePort() => RendezvousPorts.Parse("28500-28999").Take();

    private static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var sample = Path.Combine(dir.FullName, "samples", "gauge-dial");
            if (File.Exists(Path.Combine(sample, "train.py"))) return sample;
        }
        throw new InvalidOperationException($"samples/gauge-dial not found above {AppContext.BaseDirectory}");
    }

    // Probed once for the class: importing torch costs seconds on a loaded machine.
    private static readonly Lazy<string?> TorchMissing = new(ProbeTorch);

    private static string? ProbeTorch()
    {
        const string install = "the gauge-dial sample needs Debian's PyTorch: apt-get install python3-torch python3-numpy";
        if (!File.Exists(Python)) return $"{Python} does not exist; {install}";
        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import torch, numpy");
        using var probe = Process.Start(info)!;
        var error = probe.StandardError.ReadToEnd();
        probe.WaitForExit();
        return probe.ExitCode == 0 ? null : $"{Python} cannot import torch and numpy; {install}\n{error}";
    }
}
