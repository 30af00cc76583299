using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;

namespace ActorGrid.Grid.Tests.Inference;

// multipart/form-data inference: a "request" part with the JSON (shapes, SLA) and a file part per
// input with its raw little-endian float32 bytes.
[Collection(InferenceGridCollection.Name)]
public class InferenceMultipartSpecs(InferenceGridFixture grid)
{
    private static MultipartFormDataContent Form(string json, params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(json, Encoding.UTF8, "application/json"), "request" } };
        foreach (var (name, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, name, name + ".bin");
        }
        return form;
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(string model, MultipartFormDataContent form)
    {
        using var request = Infrastructure.ApiClient.Request(HttpMethod.Post, $"/v1/models/{model}/infer", grid.AcmeKey);
        request.Content = form;
        return await grid.Api.SendAsync(request);
    }

    [Fact]
    public async Task Should_classify_an_image_uploaded_as_a_file_part_like_the_reference()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "camera", TestModels.ConvClassifier(8));
        var images = TestModels.Images(2, 8, seed: 11);
        var bytes = MemoryMarshal.AsBytes(images.AsSpan()).ToArray();

        var (status, body) = await PostAsync("camera", Form("""{"inputs":{"image":{"shape":[2,3,8,8]}},"slaMs":2000,"originSite":"local"}""", ("image", bytes)));

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        var expected = TestModels.ConvClassifierReference(images, 2, 8);
        var got = Floats(body!["outputs"]!["probs"]!["data"]);
        Assert.Equal(6, got.Length);
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], got[i], 1e-5f);
        Assert.Equal([2L, 3], Longs(body["outputs"]!["probs"]!["shape"]));
        Assert.StartsWith("aud-", body["auditId"]!.GetValue<string>());
        // The audit trail hashes the tensor, not the transport: the same as for a JSON request.
        var record = await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "camera", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(InputDigest("image", [2, 3, 8, 8], images), record[0]!["inputSha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_say_what_is_wrong_with_a_multipart_request()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "camera-strict", TestModels.Elementwise());
        var four = MemoryMarshal.AsBytes(new float[] { 1, 2, 3, 4 }.AsSpan()).ToArray();

        var shortFile = await PostAsync("camera-strict", Form("""{"inputs":{"x":{"shape":[2,4]}}}""", ("x", four)));
        Assert.Equal(HttpStatusCode.BadRequest, shortFile.Status);
        Assert.Contains("File part 'x' has 16 bytes but shape [2,4] of float32 needs 32", shortFile.Body!["detail"]!.GetValue<string>());

        var stray = await PostAsync("camera-strict", Form("""{"inputs":{"x":{"shape":[1,4]}}}""", ("x", four), ("z", four)));
        Assert.Equal(HttpStatusCode.BadRequest, stray.Status);
        Assert.Contains("File part 'z' is not one of the inputs", stray.Body!["detail"]!.GetValue<string>());

        var noData = await PostAsync("camera-strict", Form("""{"inputs":{"x":{"shape":[1,4]}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noData.Status);
        Assert.Contains("file part named 'x'", noData.Body!["detail"]!.GetValue<string>());

        var noJson = new MultipartFormDataContent { { new ByteArrayContent(four), "x", "x.bin" } };
        var missing = await PostAsync("camera-strict", noJson);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("part named 'request'", missing.Body!["detail"]!.GetValue<string>());

        var ok = await PostAsync("camera-strict", Form("""{"inputs":{"x":{"shape":[1,4]}},"slaMs":2000}""", ("x", four)));
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal([3f, 5, 7, 9], Floats(ok.Body!["outputs"]!["y"]!["data"]));
    }
}
