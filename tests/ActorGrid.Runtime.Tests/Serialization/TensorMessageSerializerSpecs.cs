using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Configuration;
using Akka.Serialization;
using System.Runtime.Serialization;

namespace ActorGrid.Runtime.Tests.Serialization;

// Inference messages between hosts: tensors as raw bytes after the JSON, bound in the grid's HOCON.
public class TensorMessageSerializerSpecs() : GridTestKit(new SqliteGridConfig())
{
    private static readonly ModelRef Model = new(new TenantId("acme"), "det", 3, new string('a', 64), 4_745_000,
        new ModelSignature([new TensorSpec("x", "float32", [1, 3, 640, 640])], [new TensorSpec("y", "float32", [1, 1, 640, 640])]), "akka.tcp://actorgrid@10.0.0.1:4053");

    private static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private T RoundTrip<T>(T message, out SerializerWithStringManifest serializer, out int size) where T : notnull
    {
        serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var binary = serializer.ToBinary(message);
        size = binary.Length;
        return (T)Sys.Serialization.Deserialize(binary, serializer.Identifier, serializer.Manifest(message));
    }

    [Fact]
    public void Should_carry_a_640_frame_request_as_its_bytes_plus_a_little_json()
    {
        var frame = Bytes(3 * 640 * 640 * 4, 1);
        var run = new RunInference("req-1", Model, new Dictionary<string, TensorPayload>
        {
            ["x"] = new("float32", [1, 3, 640, 640], frame),
            ["scale"] = new("float32", [1], Bytes(4, 2)),
        }, 75.5, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var back = RoundTrip(run, out var serializer, out var size);

        Assert.IsType<TensorMessageSerializer>(serializer);
        Assert.Equal("inference.run", serializer.Manifest(run));
        Assert.True(size < frame.Length + 4096, $"{size} bytes for a {frame.Length}-byte tensor"); // base64 JSON: 6.5 MB
        Assert.Equal(["x", "scale"], back.Inputs.Keys);
        Assert.Equal(frame, back.Inputs["x"].Data);
        Assert.Equal(run.Inputs["scale"].Data, back.Inputs["scale"].Data);
        Assert.Equal([1L, 3, 640, 640], back.Inputs["x"].Shape);
        Assert.Equal((run.RequestId, run.BudgetMs, run.TraceParent, run.Model.Sha256, (FramePayload?)null),
            (back.RequestId, back.BudgetMs, back.TraceParent, back.Model.Sha256, back.Frame));
    }

    [Fact]
    public void Should_carry_a_camera_frame_and_an_answer_with_several_outputs()
    {
        var jpeg = Bytes(500_000, 3);
        var run = new RunInference("req-2", Model, new Dictionary<string, TensorPayload>(), 80, Frame: new FramePayload("x", jpeg,
            new ImagePreprocess([640, 640], "letterbox", "rgb", 1.0 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], "nchw")));
        var backRun = RoundTrip(run, out _, out _);
        Assert.Equal(jpeg, backRun.Frame!.Image);
        Assert.Equal(run.Frame!.Preprocess.Mean, backRun.Frame.Preprocess.Mean);

        var done = new InferenceSucceeded("req-2", new NodeId("edge-1"), "edge", new Dictionary<string, TensorPayload>
        {
            ["y"] = new("float32", [1, 1, 640, 640], Bytes(640 * 640 * 4, 4)),
            ["labels"] = new("int64", [1, 0], []),
        }, 1.5, 68.9, 1, false, 9.4);
        var backDone = RoundTrip(done, out var serializer, out _);
        Assert.IsType<TensorMessageSerializer>(serializer);
        Assert.Equal(done.Outputs["y"].Data, backDone.Outputs["y"].Data);
        Assert.Empty(backDone.Outputs["labels"].Data);
        Assert.Equal((done.Node, done.ComputeMs, done.PreprocessMs), (backDone.Node, backDone.ComputeMs, backDone.PreprocessMs));
    }

    [Fact]
    public void Should_refuse_a_truncated_or_forged_message()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(
            new InferenceSucceeded("r", new NodeId("n"), "edge", new Dictionary<string, TensorPayload>(), 0, 0, 1, false));
        var whole = serializer.ToBinary(new InferenceSucceeded("r", new NodeId("n"), "edge",
            new Dictionary<string, TensorPayload> { ["y"] = new("float32", [4], Bytes(16, 5)) }, 0, 0, 1, false));

        Assert.Throws<SerializationException>(() => serializer.FromBinary(whole[..^3], "inference.succeeded"));
        var forged = (byte[])whole.Clone();
        BitConverter.GetBytes(int.MaxValue).CopyTo(forged, 0);
        Assert.Throws<SerializationException>(() => serializer.FromBinary(forged, "inference.succeeded"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(whole, "task.submitted"));
    }

    // Remoting discards a message larger than its frame: the largest request a gateway accepts
    // (max-request-bytes) must fit in one, with room for the JSON around its tensors.
    [Fact]
    public void Should_keep_remotings_frame_above_the_largest_inference_request()
    {
        var hocon = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "actorgrid.hocon")));
        var frame = hocon.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? 0;
        var request = hocon.GetByteSize("actorgrid.inference.max-request-bytes") ?? 0;
        Assert.True(request > 0 && frame >= request + 1024 * 1024, $"maximum-frame-size {frame} must exceed max-request-bytes {request} by 1 MiB");
    }
}
