using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Training;

// The whole loop a factory runs, on a real embedded grid with real PyTorch: the gauge-dial sample
// uploaded as a bundle, trained as a 2-rank DDP gang (gloo over loopback) in the sandbox, its ONNX
// export registered as a model version with lineage and deployed to the edge because its val_loss
// passed promoteIf, then asked to read a dial the test draws itself.
[Collection(TrainingGridCollection.Name)]
public class GaugeDialLoopSpecs(TrainingGridFixture grid, ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task Should_train_the_sample_from_a_bundle_register_deploy_and_read_a_freshly_drawn_dial()
    {
        var sample = FindSample();
        var bundle = Bundle(sample);
        var upload = ApiClient.Request(HttpMethod.Post, "/v1/bundles", grid.AcmeKey);
        upload.Content = new ByteArrayContent(bundle);
        upload.Content.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        var (uploaded, sha) = await grid.Api.SendAsync(upload);
        Assert.True(uploaded == HttpStatusCode.Created, $"bundle upload: {(int)uploaded} {sha?.ToJsonString()}");
        var bundleSha = sha!["sha256"]!.GetValue<string>();

        var model = "gauge-dial-" + Guid.NewGuid().ToString("n")[..6];
        var body = new JsonObject
        {
            ["kind"] = "training",
            ["bundle"] = bundleSha,
            ["command"] = new JsonArray("python3", "train.py", "--epochs", "2", "--samples", "1920", "--val-samples", "256", "--batch-size", "32"),
            ["env"] = new JsonObject { ["OMP_NUM_THREADS"] = "1" },
            ["workers"] = 2,
            ["timeoutSeconds"] = 600,
            ["requirements"] = new JsonObject { ["cpu"] = 1, ["memoryMiB"] = 2048, ["chips"] = new JsonObject { ["model"] = "any", ["count"] = 1 } },
            ["lane"] = "batch",
            ["maxAttempts"] = 1,
            ["output"] = new JsonObject
            {
                ["model"] = model,
                ["file"] = "model.onnx",
                ["deploy"] = new JsonObject { ["tier"] = "edge" },
                ["promoteIf"] = new JsonObject { ["metric"] = "val_loss", ["below"] = 0.2 },
            },
        };
        var watch = Stopwatch.StartNew();
        var (status, accepted) = await grid.Api.SubmitTaskAsync(grid.AcmeKey, body);
        Assert.True(status == HttpStatusCode.Accepted, $"submit: {(int)status} {accepted?.ToJsonString()}");
        var id = Tasks.Id(accepted);

        var task = await grid.Api.WaitForStateAsync(grid.AcmeKey, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(task) == "succeeded", task.ToJsonString());
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (task["model"]?["deployed"] is null && DateTime.UtcNow < until)
        {
            await Task.Delay(250);
            task = await grid.Api.GetTaskAsync(grid.AcmeKey, id);
        }
        Assert.True(task["model"]?["deployed"]?.GetValue<bool>() == true, task.ToJsonString());
        output.WriteLine($"bundle → trained on 2 ranks → registered and deployed in {watch.Elapsed.TotalSeconds:0.0} s");
        var metrics = task["metrics"]!;
        Assert.True(metrics["val_loss"]!.GetValue<double>() < 0.2, task.ToJsonString());
        Assert.True(metrics["step"]!.GetValue<double>() > 0);
        Assert.Contains(task["history"]!.AsArray(), h => h!["type"]!.GetValue<string>() == "progressed");

        var version = task["model"]!["version"]!.GetValue<int>();
        var (got, registered) = await grid.Api.SendJsonAsync(HttpMethod.Get, $"/v1/models/{model}@{version}", grid.AcmeKey, null);
        Assert.Equal(HttpStatusCode.OK, got);
        var lineage = registered!["lineage"]!;
        Assert.Equal(id, lineage["task"]!.GetValue<string>());
        Assert.Equal(bundleSha, lineage["bundle"]!.GetValue<string>());
        Assert.Equal([-1L, 1, 64, 64], registered["inputs"]![0]!["shape"]!.AsArray().Select(d => d!.GetValue<long>()));

        // A dial drawn here at an angle of the test's choosing, read by the deployed model.
        var angle = 30 + new Random().NextDouble() * 210;
        var pixels = await DrawAsync(sample, angle);
        var (inferred, answer) = await grid.Api.InferAsync(grid.AcmeKey, $"{model}@{version}", Request("image", [1, 1, 64, 64], pixels, slaMs: 10_000));
        Assert.True(inferred == HttpStatusCode.OK, answer?.ToJsonString());
        var read = Floats(answer!["outputs"]!["angle"]!["data"])[0];
        output.WriteLine($"drawn at {angle:0.0}°, read as {read:0.0}° (val_mae_deg {metrics["val_mae_deg"]})");
        Assert.True(Math.Abs(read - angle) < 25, $"a dial drawn at {angle:0.0}° was read as {read:0.0}°");
    }

    private static string FindSample()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "gauge-dial");
            if (File.Exists(Path.Combine(candidate, "train.py"))) return candidate;
        }
        throw new InvalidOperationException("samples/gauge-dial not found above " + AppContext.BaseDirectory);
    }

    // The sample's Python files as a tar.gz, the way a tenant would pack them.
    private static byte[] Bundle(string sample)
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var file in Directory.GetFiles(sample, "*.py"))
                tar.WriteEntry(file, Path.GetFileName(file));
        }
        return bytes.ToArray();
    }

    private static async Task<float[]> DrawAsync(string sample, double angle)
    {
        var file = Path.Combine(Path.GetTempPath(), $"dial-{Guid.NewGuid():n}.f32");
        var info = new ProcessStartInfo(Python) { WorkingDirectory = sample, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "draw.py", "--angle", angle.ToString("R", CultureInfo.InvariantCulture), "--seed", "4242", "--out", file }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"draw.py exited {process.ExitCode}: {stderr}");
        var raw = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        var pixels = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, pixels, 0, raw.Length);
        return pixels;
    }
}
