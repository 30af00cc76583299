using System.Runtime.InteropServices;
using System.Text.Json;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Worker.Inference.Images;

namespace ActorGrid.Runtime.Tests.Inference.Images;

// The config part of an upload against the model's signature, the postprocessing it names, and
// the catalog events that carry it.
public class ImageConfigSpecs
{
    private static readonly ModelSignature Classifier = new(
        [new TensorSpec("image", "float32", [-1, 3, 32, 32])], [new TensorSpec("probs", "float32", [-1, 3])]);

    private static string? Error(ModelConfigDraft draft) => ModelConfigRules.Resolve(draft, Classifier).Error;

    private static ImagePreprocessDraft Pre(int[]? resize = null, string? mode = null, string? color = null, double[]? mean = null, double[]? std = null, string? layout = null) =>
        new(resize, mode, color, null, mean, std, layout);

    [Fact]
    public void Should_fill_every_default_from_the_input_shape()
    {
        var (config, error) = ModelConfigRules.Resolve(new ModelConfigDraft(null, null, ["ok", "defect", "scratch"], null), Classifier);

        Assert.Null(error);
        Assert.Equal("image", config!.Input);
        Assert.Equal([32, 32], config.Preprocess.Resize);
        Assert.Equal((ImageModes.Letterbox, ImageColors.Rgb, ImageLayouts.Nchw), (config.Preprocess.Mode, config.Preprocess.Color, config.Preprocess.Layout));
        Assert.Equal(1.0 / 255, config.Preprocess.Scale);
        Assert.Equal([0.0, 0, 0], config.Preprocess.Mean);
        Assert.Equal(Postprocessing.SoftmaxTop1, config.Postprocess);
    }

    [Fact]
    public void Should_name_the_field_to_fix_when_the_config_does_not_fit_the_model()
    {
        Assert.StartsWith("config.input 'x' is not an input", Error(new ModelConfigDraft("x", null, null, null)));
        Assert.StartsWith("config.preprocess.color 'gray' gives 1 channel(s) but input 'image' [-1,3,32,32] has 3", Error(new ModelConfigDraft(null, Pre(color: "gray"), null, null)));
        Assert.Contains("use [32,32]", Error(new ModelConfigDraft(null, Pre(resize: [640, 640]), null, null)));
        Assert.StartsWith("config.preprocess.mean has 2 value(s)", Error(new ModelConfigDraft(null, Pre(mean: [0.5, 0.5]), null, null)));
        Assert.StartsWith("config.preprocess.std has 1 value(s)", Error(new ModelConfigDraft(null, Pre(std: [0.2]), null, null)));
        Assert.StartsWith("config.preprocess.mode 'fit'", Error(new ModelConfigDraft(null, Pre(mode: "fit"), null, null)));
        Assert.StartsWith("config.preprocess.color 'rgb' gives 3 channel(s) but input 'image' [-1,3,32,32] has 32 at dimension 3 for layout nhwc", Error(new ModelConfigDraft(null, Pre(layout: "nhwc"), null, null)));
        Assert.StartsWith("config.labels has 2 name(s) but output 'probs' [-1,3] has 3 classes", Error(new ModelConfigDraft(null, null, ["ok", "defect"], null)));
        Assert.StartsWith("config.postprocess 'top5'", Error(new ModelConfigDraft(null, null, null, "top5")));
    }

    [Fact]
    public void Should_need_a_resize_when_the_input_has_dynamic_height_or_width()
    {
        var dynamic = new ModelSignature([new TensorSpec("x", "float32", [-1, 3, -1, -1])], [new TensorSpec("y", "float32", [-1, 2])]);

        Assert.StartsWith("config.preprocess.resize is missing", ModelConfigRules.Resolve(new ModelConfigDraft(null, null, null, null), dynamic).Error);
        Assert.Equal([480, 640], ModelConfigRules.Resolve(new ModelConfigDraft(null, Pre(resize: [480, 640]), null, null), dynamic).Config!.Preprocess.Resize);
    }

    [Fact]
    public void Should_label_by_softmax_probability_or_by_raw_score()
    {
        float[] logits = [0.5f, 2.5f, -1f];
        var output = new TensorPayload("float32", [1, 3], MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());
        var pre = new ImagePreprocess([32, 32], "stretch", "rgb", 1.0 / 255, [0, 0, 0], [1, 1, 1], "nchw");
        var expected = Math.Exp(2.5) / (Math.Exp(0.5) + Math.Exp(2.5) + Math.Exp(-1));

        var softmax = FrameLabels.Read(new ModelConfig("image", pre, ["ok", "defect", "scratch"], Postprocessing.SoftmaxTop1), output);
        var argmax = FrameLabels.Read(new ModelConfig("image", pre, ["ok", "defect", "scratch"], Postprocessing.Argmax), output);

        Assert.Equal(("defect", 1), (softmax!.Label, softmax.Index));
        Assert.Equal(expected, softmax.Score, 1e-6);
        Assert.Equal(("defect", 2.5), (argmax!.Label, argmax.Score));
        Assert.Null(FrameLabels.Read(new ModelConfig("image", pre, null, Postprocessing.None), output));
    }

    [Fact]
    public void Should_read_a_version_journalled_before_configs_existed_and_round_trip_one_with_a_config()
    {
        var options = ActorGridSerializer.CreateOptions();
        var old = """{"tenantId":"acme","name":"cam","version":1,"sha256":"ab","sizeBytes":3,"signature":{"inputs":[],"outputs":[]},"storedBy":"akka.tcp://g@h:1","at":"2026-01-01T00:00:00+00:00"}""";

        var read = JsonSerializer.Deserialize<ModelVersionRegistered>(old, options)!;
        Assert.Null(read.Config);
        Assert.Equal(1, read.Version);

        var config = ModelConfigRules.Resolve(new ModelConfigDraft(null, null, ["a", "b", "c"], "argmax"), Classifier).Config!;
        var withConfig = read with { Config = config };
        var back = JsonSerializer.Deserialize<ModelVersionRegistered>(JsonSerializer.SerializeToUtf8Bytes(withConfig, options), options)!;
        Assert.Equal(["a", "b", "c"], back.Config!.Labels);
        Assert.Equal([32, 32], back.Config.Preprocess.Resize);
        Assert.Equal("argmax", back.Config.Postprocess);
        Assert.Equal(new TenantId("acme"), back.TenantId);
    }
}
