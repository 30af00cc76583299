using System.Net;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

[Collection(InferenceGridCollection.Name)]
public class ModelRegistrySpecs(InferenceGridFixture grid)
{
    [Fact]
    public async Task Should_register_an_upload_with_its_hash_and_signature()
    {
        var onnx = TestModels.ConvClassifier(8);

        var (status, body) = await grid.Api.UploadAsync(grid.AcmeKey, "gauge-reader", onnx);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("gauge-reader", body!["name"]!.GetValue<string>());
        Assert.Equal(1, body["version"]!.GetValue<int>());
        Assert.Equal(Sha256(onnx), body["sha256"]!.GetValue<string>());
        var input = body["inputs"]!.AsArray().Single()!;
        Assert.Equal(("image", "float32"), (input["name"]!.GetValue<string>(), input["type"]!.GetValue<string>()));
        Assert.Equal([-1L, 3, 8, 8], Longs(input["shape"]));
        var output = body["outputs"]!.AsArray().Single()!;
        Assert.Equal(("probs", "float32"), (output["name"]!.GetValue<string>(), output["type"]!.GetValue<string>()));
        Assert.Equal([-1L, 3], Longs(output["shape"]));
    }

    [Fact]
    public async Task Should_version_uploads_keep_latest_and_never_reuse_a_deleted_number()
    {
        var first = TestModels.ConvClassifier(8);
        var second = TestModels.ConvClassifier(16);
        Assert.Equal(1, (await grid.Api.UploadOkAsync(grid.AcmeKey, "weld", first))["version"]!.GetValue<int>());
        Assert.Equal(2, (await grid.Api.UploadOkAsync(grid.AcmeKey, "weld", second))["version"]!.GetValue<int>());

        // The same bytes again are the same version, not a new one.
        var (again, againBody) = await grid.Api.UploadAsync(grid.AcmeKey, "weld", second);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(2, againBody!["version"]!.GetValue<int>());

        var (_, model) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/weld", grid.AcmeKey, null);
        Assert.Equal(2, model!["latest"]!.GetValue<int>());
        Assert.Equal([1, 2], model["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));
        var (_, v1) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/weld@1", grid.AcmeKey, null);
        Assert.Equal(Sha256(first), v1!["sha256"]!.GetValue<string>());
        var (_, latest) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/weld@latest", grid.AcmeKey, null);
        Assert.Equal(Sha256(second), latest!["sha256"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await grid.Api.SendJsonAsync(HttpMethod.Delete, "/v1/models/weld@2", grid.AcmeKey, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/weld@2", grid.AcmeKey, null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendJsonAsync(HttpMethod.Delete, "/v1/models/weld@2", grid.AcmeKey, null)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.SendJsonAsync(HttpMethod.Delete, "/v1/models/weld", grid.AcmeKey, null)).Status);
        Assert.Equal(3, (await grid.Api.UploadOkAsync(grid.AcmeKey, "weld", second))["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Should_refuse_a_file_onnx_runtime_cannot_open_with_its_reason_and_store_nothing()
    {
        var (status, body) = await grid.Api.UploadAsync(grid.AcmeKey, "broken", "definitely not protobuf"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ONNX Runtime could not open the file", body!["detail"]!.GetValue<string>());
        Assert.Contains("Protobuf", body["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/broken", grid.AcmeKey, null)).Status);
    }

    [Fact]
    public async Task Should_refuse_bad_names_too_large_files_and_wrong_media_types()
    {
        var onnx = TestModels.Elementwise();
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.UploadAsync(grid.AcmeKey, "a..b", onnx)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.UploadAsync(grid.AcmeKey, "%2E%2E%2Fetc", onnx)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await grid.Api.UploadAsync(grid.AcmeKey, "-dash", onnx)).Status);

        var (tooLarge, body) = await grid.Api.UploadAsync(grid.AcmeKey, "huge", new byte[3 * 1024 * 1024]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge);
        Assert.Contains("2097152", body!["detail"]!.GetValue<string>());

        using var json = Infrastructure.ApiClient.Request(HttpMethod.Post, "/v1/models/json", grid.AcmeKey);
        json.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await grid.Api.SendAsync(json)).Status);
    }

    [Fact]
    public async Task Should_keep_each_tenants_models_to_itself()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "private-gauge", TestModels.Elementwise());

        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models/private-gauge", grid.GlobexKey, null)).Status);
        var (_, globexList) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models", grid.GlobexKey, null);
        Assert.DoesNotContain(globexList!.AsArray(), m => m!["name"]!.GetValue<string>() == "private-gauge");
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.InferAsync(grid.GlobexKey, "private-gauge", Request("x", [1, 4], [1, 2, 3, 4]))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendJsonAsync(HttpMethod.Delete, "/v1/models/private-gauge@1", grid.GlobexKey, null)).Status);
        var (_, acmeList) = await grid.Api.SendJsonAsync(HttpMethod.Get, "/v1/models", grid.AcmeKey, null);
        Assert.Contains(acmeList!.AsArray(), m => m!["name"]!.GetValue<string>() == "private-gauge");
    }
}
