using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

// Inference through the gateway of a real embedded grid, checked against values computed here.
[Collection(InferenceGridCollection.Name)]
public class InferenceHttpSpecs(InferenceGridFixture grid)
{
    [Fact]
    public async Task Should_answer_the_elementwise_model_by_hand_checked_values()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "affine", TestModels.Elementwise());

        var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, "affine", Request("x", [2, 4], [0, 1, -2.5f, 10, 0.25f, -1, 3, 100], slaMs: 2000, originSite: "local"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([1f, 3, -4, 21, 1.5f, -1, 7, 201], Floats(body!["outputs"]!["y"]!["data"]));
        Assert.Equal([2L, 4], Longs(body["outputs"]!["y"]!["shape"]));
        Assert.False(string.IsNullOrEmpty(body["node"]!.GetValue<string>()));
        Assert.Equal("edge", body["tier"]!.GetValue<string>());
        Assert.InRange(body["latencyMs"]!.GetValue<double>(), 0.001, 2000);
        Assert.StartsWith("aud-", body["auditId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_classify_like_the_reference_as_json_and_as_binary_and_by_version()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "classifier", TestModels.ConvClassifier(8));
        var images = TestModels.Images(2, 8, seed: 7);
        var expected = TestModels.ConvClassifierReference(images, 2, 8);

        var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, "classifier@1", Request("image", [2, 3, 8, 8], images, slaMs: 2000));
        Assert.Equal(HttpStatusCode.OK, status);
        var probs = Floats(body!["outputs"]!["probs"]!["data"]);
        Assert.Equal(6, probs.Length);
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], probs[i], 1e-5f);

        using var binary = Infrastructure.ApiClient.Request(HttpMethod.Post, "/v1/models/classifier/infer", grid.AcmeKey);
        binary.Content = new ByteArrayContent(MemoryMarshal.AsBytes(images.AsSpan()).ToArray());
        binary.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        binary.Headers.Add("X-Shape", "2,3,8,8");
        binary.Headers.Add("X-Sla-Ms", "2000");
        using var response = await grid.Api.Http.SendAsync(binary);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2,3", response.Headers.GetValues("X-Shape").Single());
        Assert.Equal("probs", response.Headers.GetValues("X-Output-Name").Single());
        Assert.StartsWith("aud-", response.Headers.GetValues("X-Audit-Id").Single());
        var raw = MemoryMarshal.Cast<byte, float>(await response.Content.ReadAsByteArrayAsync()).ToArray();
        Assert.Equal(6, raw.Length);
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], raw[i], 1e-5f);
    }

    [Fact]
    public async Task Should_batch_concurrent_requests_and_answer_each_exactly_as_alone()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "batched", TestModels.ConvClassifier(32));
        Assert.Equal(HttpStatusCode.OK, (await grid.Api.InferAsync(grid.AcmeKey, "batched", Request("image", [1, 3, 32, 32], TestModels.Images(1, 32), slaMs: 10_000))).Status);

        var images = Enumerable.Range(0, 16).Select(i => TestModels.Images(1, 32, seed: 200 + i)).ToList();
        var replies = await Task.WhenAll(images.Select(image => grid.Api.InferAsync(grid.AcmeKey, "batched", Request("image", [1, 3, 32, 32], image, slaMs: 10_000))));

        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(HttpStatusCode.OK, replies[i].Status);
            var expected = TestModels.ConvClassifierReference(images[i], 1, 32);
            var got = Floats(replies[i].Body!["outputs"]!["probs"]!["data"]);
            for (var j = 0; j < 3; j++) Assert.Equal(expected[j], got[j], 1e-5f);
        }
        Assert.Contains(replies, r => r.Body!["batchSize"]!.GetValue<int>() > 1);
    }

    [Fact]
    public async Task Should_say_exactly_what_is_wrong_with_the_inputs()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "strict", TestModels.Elementwise());

        var wrongName = await grid.Api.InferAsync(grid.AcmeKey, "strict", Request("z", [1, 4], [1, 2, 3, 4]));
        Assert.Equal(HttpStatusCode.BadRequest, wrongName.Status);
        Assert.Contains("no input 'z'", wrongName.Body!["detail"]!.GetValue<string>());

        var wrongShape = await grid.Api.InferAsync(grid.AcmeKey, "strict", Request("x", [1, 5], [1, 2, 3, 4, 5]));
        Assert.Equal(HttpStatusCode.BadRequest, wrongShape.Status);
        Assert.Contains("[1,5] but the model expects [-1,4]", wrongShape.Body!["detail"]!.GetValue<string>());

        var wrongCount = await grid.Api.InferAsync(grid.AcmeKey, "strict", Request("x", [1, 4], [1, 2, 3]));
        Assert.Equal(HttpStatusCode.BadRequest, wrongCount.Status);
        Assert.Contains("has 3 values but shape [1,4] needs 4", wrongCount.Body!["detail"]!.GetValue<string>());

        var typed = Request("x", [1, 4], [1, 2, 3, 4]);
        typed["inputs"]!["x"]!["type"] = "int64";
        var wrongType = await grid.Api.InferAsync(grid.AcmeKey, "strict", typed);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Contains("must be float32, not int64", wrongType.Body!["detail"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.InferAsync(grid.AcmeKey, "no-such-model", Request("x", [1, 4], [1, 2, 3, 4]))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.InferAsync(grid.AcmeKey, "strict@9", Request("x", [1, 4], [1, 2, 3, 4]))).Status);

        var huge = Request("x", [600_000, 4], new float[2_400_000]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await grid.Api.InferAsync(grid.AcmeKey, "strict", huge)).Status);
    }

    [Fact]
    public async Task Should_answer_500_when_the_model_throws_and_keep_the_worker_serving()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "faulty", TestModels.Faulty());
        var bad = new System.Text.Json.Nodes.JsonObject
        {
            ["inputs"] = new System.Text.Json.Nodes.JsonObject { ["a"] = Tensor([1, 2], [1, 2]), ["b"] = Tensor([1, 3], [1, 2, 3]) },
            ["slaMs"] = 5000,
        };

        var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, "faulty", bad);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("failed while running", body!["detail"]!.GetValue<string>());
        var good = new System.Text.Json.Nodes.JsonObject
        {
            ["inputs"] = new System.Text.Json.Nodes.JsonObject { ["a"] = Tensor([1, 2], [1, 2]), ["b"] = Tensor([1, 2], [10, 20]) },
        };
        var (okStatus, okBody) = await grid.Api.InferAsync(grid.AcmeKey, "faulty", good);
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal([11f, 22f], Floats(okBody!["outputs"]!["sum"]!["data"]));
    }

    [Fact]
    public async Task Should_refuse_early_with_the_reason_when_a_saturated_worker_cannot_meet_the_sla()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "heavy", TestModels.ConvClassifier(64));
        var batch = TestModels.Images(8, 64);
        Assert.Equal(HttpStatusCode.OK, (await grid.Api.InferAsync(grid.AcmeKey, "heavy", Request("image", [8, 3, 64, 64], batch, slaMs: 30_000))).Status);
        await Task.Delay(600); // let the worker publish its measured batch time

        var flood = Enumerable.Range(0, 24).Select(_ => grid.Api.InferAsync(grid.AcmeKey, "heavy", Request("image", [8, 3, 64, 64], batch, slaMs: 60_000))).ToList();
        await Task.Delay(200);
        var (status, body) = await grid.Api.InferAsync(grid.AcmeKey, "heavy", Request("image", [8, 3, 64, 64], batch, slaMs: 2));
        var flooded = await Task.WhenAll(flood);

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("SLA", body!["detail"]!.GetValue<string>());
        Assert.All(flooded, r => Assert.Equal(HttpStatusCode.OK, r.Status));
    }
}
