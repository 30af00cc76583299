using System.Net;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

// A deployment is kept by the grid: after a restart the worker loads the model again by itself.
public class ModelDeploymentRestartSpecs
{
    private const string Token = "deploy-restart-token";

    [Fact]
    public async Task Should_preload_a_deployed_model_again_after_a_restart_without_any_request()
    {
        using var dir = TestDirectory.Create("deploy-restart");
        var (akka, http) = (FreePorts.Next(), FreePorts.Next());
        string[] args = ["--port", akka.ToString(), "--http", $"127.0.0.1:{http}", "--data", dir.Sub("data")];
        string key;
        await using (var first = GridProcess.Start("first", args, Token, dir.Path))
        {
            await first.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
            using var api = new ApiClient(first.HttpBase);
            key = await api.CreateTenantAsync(Token, "acme", []);
            await api.UploadOkAsync(key, "gauge", TestModels.Elementwise());
            var node = (await InferenceSitesFixture.WaitForInferenceHostsAsync(api, 1, Token))[0]!["node"]!.GetValue<string>();
            var (status, deployed) = await api.SendJsonAsync(HttpMethod.Post, "/v1/models/gauge@1/deploy", key, new JsonObject { ["nodes"] = new JsonArray(node) });
            Assert.True(status == HttpStatusCode.Accepted, deployed?.ToJsonString());
            await InferenceSitesSpecs.WaitForLoadedAsync(api, key, "gauge", node);
            Assert.True(await first.StopAsync(TimeSpan.FromSeconds(60)), "the grid did not stop gracefully");
        }

        await using var second = GridProcess.Start("second", args, Token, dir.Path);
        await second.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var again = new ApiClient(second.HttpBase);
        var hostNode = (await InferenceSitesFixture.WaitForInferenceHostsAsync(again, 1, Token))[0]!["node"]!.GetValue<string>();
        var version = await InferenceSitesSpecs.WaitForLoadedAsync(again, key, "gauge", hostNode);
        Assert.Equal([hostNode], version["deployment"]!["selector"]!["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));

        var (okStatus, answer) = await again.InferAsync(key, "gauge", Request("x", [1, 4], [1, 2, 3, 4], slaMs: 2000));
        Assert.True(okStatus == HttpStatusCode.OK, answer?.ToJsonString());
        Assert.False(answer!["coldStart"]!.GetValue<bool>());
        Assert.Equal([3f, 5, 7, 9], Floats(answer["outputs"]!["y"]!["data"]));
    }
}
