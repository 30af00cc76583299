using ActorGrid.Runtime.Tests.Inference.Onnx;
using ActorGrid.Worker.Inference;
using Akka.Configuration;

namespace ActorGrid.Runtime.Tests.Inference;

// The generated test models, opened and run by the same code a worker uses, against outputs
// computed independently in C#.
public class OnnxModelSpecs
{
    private static readonly OnnxSessionFactory Sessions = new(InferenceSettings.Default);

    [Fact]
    public void Should_compute_the_elementwise_model_as_x_times_two_plus_one()
    {
        using var model = new LoadedModel(Sessions.Open(TestModels.Elementwise()));
        float[] x = [0f, 1f, -2.5f, 10f, 0.25f, -1f, 3f, 100f];

        var y = model.Run([new Dictionary<string, Protocol.Inference.TensorPayload> { ["x"] = TensorPayloads.Float32([2, 4], x) }])[0]["y"];

        Assert.Equal([2L, 4L], y.Shape);
        Assert.Equal([1f, 3f, -4f, 21f, 1.5f, -1f, 7f, 201f], TensorPayloads.ToFloat32(y));
    }

    [Fact]
    public void Should_warm_a_model_up_on_zeros_with_open_dimensions_as_one_and_still_answer_like_before()
    {
        using var model = new LoadedModel(Sessions.Open(TestModels.ConvClassifier(8)));

        Assert.Null(model.WarmUp());

        var images = new float[2 * 3 * 8 * 8];
        for (var i = 0; i < images.Length; i++) images[i] = (i % 7) / 7f;
        var probs = TensorPayloads.ToFloat32(model.Run([new Dictionary<string, Protocol.Inference.TensorPayload> { ["image"] = TensorPayloads.Float32([2, 3, 8, 8], images) }])[0]["probs"]);
        Assert.Equal(6, probs.Length);
        Assert.Equal(1.0, probs[..3].Sum(), 3); // a softmax row: the warm-up changed nothing in the session
    }

    [Fact]
    public void Should_report_the_signature_with_dynamic_dimensions_as_minus_one()
    {
        using var model = new LoadedModel(Sessions.Open(TestModels.ConvClassifier(8)));

        var input = Assert.Single(model.Signature.Inputs);
        Assert.Equal(("image", "float32"), (input.Name, input.Type));
        Assert.Equal([-1L, 3, 8, 8], input.Shape);
        var output = Assert.Single(model.Signature.Outputs);
        Assert.Equal(("probs", "float32"), (output.Name, output.Type));
        Assert.Equal([-1L, 3], output.Shape);
        Assert.True(model.Signature.Batchable);
    }

    [Fact]
    public void Should_classify_a_batch_like_the_reference_implementation()
    {
        using var model = new LoadedModel(Sessions.Open(TestModels.ConvClassifier(8)));
        var images = TestModels.Images(3, 8);

        var probs = TensorPayloads.ToFloat32(model.Run([new Dictionary<string, Protocol.Inference.TensorPayload> { ["image"] = TensorPayloads.Float32([3, 3, 8, 8], images) }])[0]["probs"]);

        var expected = TestModels.ConvClassifierReference(images, 3, 8);
        Assert.Equal(9, probs.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], probs[i], 1e-5f);
        for (var img = 0; img < 3; img++) Assert.Equal(1f, probs[(img * 3)..(img * 3 + 3)].Sum(), 1e-5f);
        // The images are different enough that the model does not answer the same for all.
        Assert.NotEqual(probs[0], probs[3], 1e-4f);
    }

    [Fact]
    public void Should_give_the_same_answers_stacked_as_one_by_one_and_in_order()
    {
        using var model = new LoadedModel(Sessions.Open(TestModels.ConvClassifier(8)));
        var requests = Enumerable.Range(0, 5)
            .Select(i => (IReadOnlyDictionary<string, Protocol.Inference.TensorPayload>)new Dictionary<string, Protocol.Inference.TensorPayload>
            {
                ["image"] = TensorPayloads.Float32([i == 2 ? 2 : 1, 3, 8, 8], TestModels.Images(i == 2 ? 2 : 1, 8, seed: 10 + i)),
            })
            .ToList();

        var stacked = model.Run(requests);

        Assert.Equal(5, stacked.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var alone = TensorPayloads.ToFloat32(model.Run([requests[i]])[0]["probs"]);
            var together = TensorPayloads.ToFloat32(stacked[i]["probs"]);
            Assert.Equal(i == 2 ? 6 : 3, together.Length);
            for (var j = 0; j < alone.Length; j++) Assert.Equal(alone[j], together[j], 1e-6f);
        }
    }

    [Fact]
    public void Should_take_session_options_from_hocon_and_skip_providers_this_build_lacks()
    {
        var settings = InferenceSettings.From(ConfigurationFactory.ParseString("""
            actorgrid.inference {
              intra-op-threads = 2
              graph-optimization-level = basic
              execution-providers = [cuda, cpu]
              max-batch-size = 16
              max-queue-delay = 5ms
            }
            """));
        var factory = new OnnxSessionFactory(settings);

        Assert.Equal(2, settings.IntraOpThreads);
        Assert.Equal(16, settings.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(5), settings.MaxQueueDelay);
        using var options = factory.CreateOptions();
        Assert.Equal(2, options.IntraOpNumThreads);
        Assert.Equal(Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC, options.GraphOptimizationLevel);
        var cuda = OnnxSessionFactory.AvailableProviders.Contains("CUDAExecutionProvider");
        Assert.Equal(cuda ? ["cuda", "cpu"] : ["cpu"], factory.EffectiveProviders());
        using var model = new LoadedModel(factory.Open(TestModels.Elementwise()));
        Assert.Equal("y", model.Signature.Outputs[0].Name);
    }

    [Fact]
    public void Should_refuse_bytes_that_are_not_an_onnx_model_with_onnx_runtimes_reason()
    {
        var ex = Assert.ThrowsAny<Exception>(() => Sessions.Open("this is not a model"u8.ToArray()));
        Assert.Contains("InvalidProtobuf", ex.Message);
    }
}
