using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Inference;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Training;

// The training grid's node declares two NVIDIA A100s, and this machine runs the CPU build of ONNX
// Runtime: its worker wants CUDA on chip 0, cannot have it, says so once in its log, and serves
// on CPU, which is what GET /v1/inference/hosts reports for the session.
[Collection(TrainingGridCollection.Name)]
public class DeclaredGpuInferenceSpecs(TrainingGridFixture grid)
{
    [Fact]
    public async Task Should_serve_on_cpu_with_one_fallback_line_when_the_declared_nvidia_chips_have_no_cuda_provider()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "gpu-less", TestModels.Elementwise());

        var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, "gpu-less", Request("x", [1, 4], [1, 2, 3, 4], slaMs: 5000));

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Equal([3f, 5f, 7f, 9f], Floats(body!["outputs"]!["y"]!["data"]));
        var model = await LoadedModelAsync(Sha256(TestModels.Elementwise()));
        Assert.Equal("cpu", model["provider"]!.GetValue<string>());
        var fallback = LogLines().Where(l => l.Contains("no CUDA execution provider", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(fallback);
        Assert.Contains($"Node {TrainingGridFixture.NodeId} declares 2 NVIDIA chip(s) (nvidia-a100)", line);
        Assert.Contains("inference runs on CPU", line);
    }

    // The whole log on disk: the in-memory tail may have dropped the host's first lines by now.
    private List<string> LogLines()
    {
        using var reader = new StreamReader(new FileStream(grid.Grid.LogFilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    // The worker's status reaches the gateway a few times a second; the model shows once loaded.
    private async Task<JsonNode> LoadedModelAsync(string sha)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var (_, hosts) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/inference/hosts", TrainingGridFixture.AdminToken, null);
            var model = (hosts as JsonArray)?.SelectMany(h => h!["models"]!.AsArray()).FirstOrDefault(m => m!["sha256"]!.GetValue<string>() == sha && m["provider"] is not null);
            if (model is not null) return model;
            if (DateTime.UtcNow > until) throw new TimeoutException($"model {sha} never showed as loaded: {hosts?.ToJsonString()}");
            await Task.Delay(200);
        }
    }
}
