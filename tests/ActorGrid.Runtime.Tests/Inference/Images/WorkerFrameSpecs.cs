using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using ActorGrid.Runtime.Tests.Infrastructure;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Inference.Images;
using Akka.Actor;
using static ActorGrid.Runtime.Tests.Inference.Images.TestImages;
using static ActorGrid.Runtime.Tests.Inference.InferenceSamples;

namespace ActorGrid.Runtime.Tests.Inference.Images;

// A frame sent to the worker compressed (RunInference.Frame): the worker decodes and preprocesses
// it beside the model, answers as if it had been sent the tensor, and says how long the decode took.
public class WorkerFrameSpecs : GridTestKit
{
    private static readonly ImagePreprocess Stretch = new([8, 8], ImageModes.Stretch, ImageColors.Rgb, 1.0 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], ImageLayouts.Nchw);
    private readonly OnnxSessionFactory _sessions = new(InferenceSettings.Default);
    private readonly ModelBlobStore _store;
    private readonly IActorRef _host;

    public WorkerFrameSpecs() : base(new SqliteGridConfig())
    {
        _store = new ModelBlobStore(Files.Directory);
        _host = Sys.ActorOf(InferenceHost.Props(EdgeNode(), InferenceSettings.Default, _sessions, _store), InferenceHost.Name);
    }

    [Fact]
    public void Should_decode_a_png_frame_on_the_worker_and_answer_as_for_its_tensor()
    {
        var model = Store(_store, "camera", TestModels.ConvClassifier(8), _sessions);
        var png = Png(8, 8, Pattern);
        var tensor = FramePreprocessor.Prepare(png, Stretch, ImageSettings.Default).Tensor!;

        _host.Tell(new RunInference("t", model, new Dictionary<string, TensorPayload> { ["image"] = tensor }, 5000));
        var fromTensor = ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20));
        _host.Tell(new RunInference("f", model, new Dictionary<string, TensorPayload>(), 5000, Frame: new FramePayload("image", png, Stretch)));
        var fromFrame = ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20));

        Assert.Equal(TensorPayloads.ToFloat32(fromTensor.Outputs["probs"]), TensorPayloads.ToFloat32(fromFrame.Outputs["probs"]));
        Assert.Equal(0, fromTensor.PreprocessMs);
        Assert.True(fromFrame.PreprocessMs > 0, "the worker reports the time it spent decoding the frame");
        Assert.True(fromFrame.PreprocessMs <= fromFrame.ComputeMs, $"decode {fromFrame.PreprocessMs} ms is part of compute {fromFrame.ComputeMs} ms");
    }

    [Fact]
    public void Should_refuse_a_frame_that_does_not_decode_as_invalid_and_still_serve_the_next()
    {
        var model = Store(_store, "camera", TestModels.ConvClassifier(8), _sessions);
        var png = Png(64, 64, Pattern);

        _host.Tell(new RunInference("bad", model, new Dictionary<string, TensorPayload>(), 5000, Frame: new FramePayload("image", png[..(png.Length / 2)], Stretch)));
        var refused = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(20));
        _host.Tell(new RunInference("good", model, new Dictionary<string, TensorPayload>(), 5000, Frame: new FramePayload("image", png, Stretch)));

        Assert.Equal(RejectionKinds.Invalid, refused.Kind);
        Assert.Contains("truncated or corrupt", refused.Reason);
        Assert.Equal("good", ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20)).RequestId);
    }

    [Fact]
    public void Should_refuse_a_frame_for_an_input_the_model_lacks()
    {
        var model = Store(_store, "camera", TestModels.ConvClassifier(8), _sessions);

        _host.Tell(new RunInference("x", model, new Dictionary<string, TensorPayload>(), 5000, Frame: new FramePayload("pixels", Png(8, 8, Pattern), Stretch)));

        var refused = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(20));
        Assert.Equal(RejectionKinds.Invalid, refused.Kind);
        Assert.Contains("'pixels'", refused.Reason);
    }
}
