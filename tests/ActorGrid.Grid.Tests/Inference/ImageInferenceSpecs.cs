using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ActorGrid.Runtime.Tests.Inference.Images;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using SkiaSharp;
using static ActorGrid.Grid.Tests.Inference.InferenceClient;
using static ActorGrid.Runtime.Tests.Inference.Images.TestImages;

namespace ActorGrid.Grid.Tests.Inference;

// Camera frames in, on a real grid with real ONNX Runtime: a model version uploaded with its
// config takes a JPEG or PNG, and the answer's outputs, label and score match what the test
// computes itself from the pixels it wrote.
[Collection(InferenceGridCollection.Name)]
public class ImageInferenceSpecs(InferenceGridFixture grid)
{
    private static readonly string[] Labels = ["ok", "defect", "scratch"];
    private static readonly double[] Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225];

    private async Task<(HttpStatusCode Status, JsonNode? Body)> UploadWithConfigAsync(string name, byte[] onnx, string config)
    {
        using var request = Infrastructure.ApiClient.Request(HttpMethod.Post, $"/v1/models/{name}", grid.AcmeKey);
        var model = new ByteArrayContent(onnx);
        model.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content = new MultipartFormDataContent { { model, "model", "model.onnx" }, { new StringContent(config, Encoding.UTF8, "application/json"), "config" } };
        return await grid.Api.SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> InferImageAsync(string model, byte[] image, string type)
    {
        using var request = Infrastructure.ApiClient.Request(HttpMethod.Post, $"/v1/models/{model}/infer", grid.AcmeKey);
        request.Content = new ByteArrayContent(image);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(type);
        request.Headers.Add("X-Sla-Ms", "2000");
        request.Headers.Add("X-Origin-Site", "local");
        return await grid.Api.SendAsync(request);
    }

    private static string Config(string mode, string postprocess) =>
        $$"""{"input":"image","preprocess":{"resize":[8,8],"mode":"{{mode}}","color":"rgb","scale":0.00392156862745098,"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225],"layout":"nchw"},"labels":["ok","defect","scratch"],"postprocess":"{{postprocess}}"}""";

    // The input tensor from the definition: pixel (x, y) of the source lands at (x, y + dy); the
    // rest is the letterbox grey.
    private static float[] Reference(Func<int, int, (byte, byte, byte)?> pixel)
    {
        var tensor = new float[3 * 8 * 8];
        for (var y = 0; y < 8; y++)
        for (var x = 0; x < 8; x++)
        {
            var (r, g, b) = pixel(x, y) ?? (114, 114, 114);
            byte[] rgb = [r, g, b];
            for (var c = 0; c < 3; c++) tensor[(c * 8 + y) * 8 + x] = Normalised(rgb[c], Mean[c], Std[c]);
        }
        return tensor;
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());

    [Fact]
    public async Task Should_classify_a_png_frame_like_the_reference_computation()
    {
        var (uploaded, upload) = await UploadWithConfigAsync("line-camera", TestModels.ConvClassifier(8), Config("stretch", "argmax"));
        Assert.True(uploaded == HttpStatusCode.Created, upload?.ToJsonString());
        Assert.Equal("stretch", upload!["config"]!["preprocess"]!["mode"]!.GetValue<string>());

        var (status, body) = await InferImageAsync("line-camera", Png(8, 8, Pattern), "image/png");

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        var expected = TestModels.ConvClassifierReference(Reference((x, y) => Pattern(x, y)), 1, 8);
        var got = Floats(body!["outputs"]!["probs"]!["data"]);
        Assert.Equal(3, got.Length);
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 1e-4f);
        Assert.Equal(Labels[ArgMax(expected)], body["label"]!.GetValue<string>());
        Assert.Equal(ArgMax(expected), body["classIndex"]!.GetValue<int>());
        Assert.Equal(expected.Max(), body["score"]!.GetValue<double>(), 1e-4);
    }

    [Fact]
    public async Task Should_letterbox_a_wide_png_and_label_it_by_softmax_top1()
    {
        await UploadWithConfigAsync("line-camera-wide", TestModels.ConvClassifier(8), Config("letterbox", "softmax-top1"));

        var (status, body) = await InferImageAsync("line-camera-wide", Png(16, 8, Blocks), "image/png");

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        // 16×8 in 2×2 blocks → 8×4 of the block colours at rows 2-5, grey above and below.
        var expected = TestModels.ConvClassifierReference(Reference((x, y) => y is >= 2 and < 6 ? Pattern(x, y - 2) : null), 1, 8);
        var got = Floats(body!["outputs"]!["probs"]!["data"]);
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 1e-4f);
        var softmax = expected.Select(p => Math.Exp(p)).ToArray();
        Assert.Equal(Labels[ArgMax(expected)], body["label"]!.GetValue<string>());
        Assert.Equal(softmax.Max() / softmax.Sum(), body["score"]!.GetValue<double>(), 1e-4);
    }

    [Fact]
    public async Task Should_classify_a_jpeg_frame_of_a_synthetic_scene()
    {
        await UploadWithConfigAsync("line-camera-jpeg", TestModels.ConvClassifier(8), Config("letterbox", "argmax"));
        using var bitmap = new SKBitmap(320, 180);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(40, 60, 90));
            using var paint = new SKPaint { Color = new SKColor(230, 180, 20) };
            canvas.DrawCircle(200, 90, 50, paint);
        }
        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);

        var (status, body) = await InferImageAsync("line-camera-jpeg", jpeg.ToArray(), "image/jpeg");

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        var probs = Floats(body!["outputs"]!["probs"]!["data"]);
        Assert.Equal([1L, 3], Longs(body["outputs"]!["probs"]!["shape"]));
        Assert.Equal(1, probs.Sum(), 1e-4f);
        Assert.Equal(Labels[ArgMax(probs)], body["label"]!.GetValue<string>());
    }

    // The gateway only reads the header; the worker decodes and says how long that took
    // (preprocessMs, part of its computeMs), and the audit keeps the hash of the file sent.
    [Fact]
    public async Task Should_have_the_worker_decode_the_frame_and_report_the_time_it_took()
    {
        await UploadWithConfigAsync("line-camera-worker", TestModels.ConvClassifier(8), Config("letterbox", "argmax"));
        var png = Png(640, 480, Pattern);

        var (status, body) = await InferImageAsync("line-camera-worker", png, "image/png");

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        var preprocessMs = body!["preprocessMs"]!.GetValue<double>();
        Assert.True(preprocessMs > 0, body.ToJsonString());
        Assert.True(preprocessMs <= body["computeMs"]!.GetValue<double>(), body.ToJsonString());
        var records = await AuditPolling.WaitForRecordsAsync(grid.Api, grid.AcmeKey, "line-camera-worker", 1, TimeSpan.FromSeconds(15));
        Assert.Equal(Sha256(png), records.Single()!["inputSha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_refuse_a_corrupt_image_with_400()
    {
        await UploadWithConfigAsync("line-camera-corrupt", TestModels.ConvClassifier(8), Config("stretch", "argmax"));
        var png = Png(64, 64, Pattern);
        var noise = new byte[2000];
        new Random(5).NextBytes(noise);

        var garbage = await InferImageAsync("line-camera-corrupt", noise, "image/jpeg");
        var truncated = await InferImageAsync("line-camera-corrupt", png[..(png.Length / 2)], "image/png");

        Assert.Equal(HttpStatusCode.BadRequest, garbage.Status);
        Assert.Contains("not a JPEG or PNG", garbage.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, truncated.Status);
    }

    [Fact]
    public async Task Should_refuse_an_image_over_the_limits_with_413()
    {
        await UploadWithConfigAsync("line-camera-large", TestModels.ConvClassifier(8), Config("letterbox", "argmax"));

        var bomb = await InferImageAsync("line-camera-large", Bomb(60_000, 60_000), "image/png");
        var heavy = await InferImageAsync("line-camera-large", new byte[1024 * 1024 + 1], "image/jpeg");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bomb.Status);
        Assert.Contains("60000×60000", bomb.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, heavy.Status);
        Assert.Contains("1048576 bytes", heavy.Body!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_tell_the_client_to_upload_a_config_when_the_version_has_none()
    {
        await grid.Api.UploadOkAsync(grid.AcmeKey, "bare-camera", TestModels.ConvClassifier(8));

        var (status, body) = await InferImageAsync("bare-camera", Png(8, 8, Pattern), "image/png");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("no image config", body!["detail"]!.GetValue<string>());
        Assert.Contains("'config' part", body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_refuse_a_bad_config_at_upload_naming_the_field()
    {
        var wrongMean = await UploadWithConfigAsync("bad-config", TestModels.ConvClassifier(8), """{"preprocess":{"mean":[0.5,0.5]}}""");
        var typo = await UploadWithConfigAsync("bad-config", TestModels.ConvClassifier(8), """{"preprocess":{"stdd":[1,1,1]}}""");
        var labels = await UploadWithConfigAsync("bad-config", TestModels.ConvClassifier(8), """{"labels":["ok","defect"]}""");
        var resize = await UploadWithConfigAsync("bad-config", TestModels.ConvClassifier(8), """{"preprocess":{"resize":[640,640]}}""");

        Assert.Equal(HttpStatusCode.BadRequest, wrongMean.Status);
        Assert.Contains("config.preprocess.mean has 2 value(s)", wrongMean.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, typo.Status);
        Assert.Contains("stdd", typo.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, labels.Status);
        Assert.Contains("config.labels has 2 name(s) but output 'probs'", labels.Body!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, resize.Status);
        Assert.Contains("use [8,8]", resize.Body!["detail"]!.GetValue<string>());
        // Nothing was registered by the refused uploads.
        using var get = Infrastructure.ApiClient.Request(HttpMethod.Get, "/v1/models/bad-config", grid.AcmeKey);
        Assert.Equal(HttpStatusCode.NotFound, (await grid.Api.SendAsync(get)).Status);
    }

    [Fact]
    public async Task Should_show_the_resolved_config_with_the_version()
    {
        await UploadWithConfigAsync("shown-camera", TestModels.ConvClassifier(8), """{"labels":["ok","defect","scratch"]}""");

        using var all = Infrastructure.ApiClient.Request(HttpMethod.Get, "/v1/models/shown-camera", grid.AcmeKey);
        using var one = Infrastructure.ApiClient.Request(HttpMethod.Get, "/v1/models/shown-camera@1", grid.AcmeKey);
        var (_, model) = await grid.Api.SendAsync(all);
        var (status, version) = await grid.Api.SendAsync(one);

        Assert.Equal(HttpStatusCode.OK, status);
        var config = version!["config"]!;
        Assert.Equal("image", config["input"]!.GetValue<string>());
        Assert.Equal([8L, 8], Longs(config["preprocess"]!["resize"]));
        Assert.Equal("softmax-top1", config["postprocess"]!.GetValue<string>());
        // Exactly the fields a client writes in a config: no derived ones.
        Assert.Equal(["resize", "mode", "color", "scale", "mean", "std", "layout"], config["preprocess"]!.AsObject().Select(p => p.Key));
        Assert.Equal(Labels, config["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(config.ToJsonString(), model!["versions"]![0]!["config"]!.ToJsonString());
    }
}
