using ActorGrid.Protocol;
using ActorGrid.Protocol.Serialization;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Serialization;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Serialization;

public class ActorGridSerializerSpecs() : GridTestKit(new SqliteGridConfig())
{
    [Fact]
    public void Should_have_a_stable_manifest_for_every_protocol_message()
    {
        var messages = typeof(IActorGridMessage).Assembly.GetTypes()
            .Where(t => typeof(IActorGridMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.Empty(messages.Where(t => !ProtocolManifests.ByType.ContainsKey(t)).Select(t => t.FullName));
    }

    [Fact]
    public void Should_be_the_serializer_bound_to_our_messages_and_round_trip_them()
    {
        var evt = new TaskSubmitted(new TaskId("t-1"), Acme, Spec(), Protocol.Tenants.TenantQuota.Default, "k", DateTimeOffset.UtcNow);
        var serializer = Sys.Serialization.FindSerializerFor(evt);
        Assert.IsType<ActorGridSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, evt);
        Assert.Equal("task.submitted", manifest);
        var back = (TaskSubmitted)Sys.Serialization.Deserialize(serializer.ToBinary(evt), serializer.Identifier, manifest);
        Assert.Equal(evt.TaskId, back.TaskId);
        Assert.Equal(evt.Spec.Command, back.Spec.Command);
        Assert.Equal(evt.At, back.At);
    }

    [Fact]
    public void Should_read_a_task_submitted_before_training_as_one_worker_without_output_and_round_trip_a_training_spec()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskNotFound(new TaskId("t")));
        var old = new TaskSubmitted(new TaskId("t-1"), Acme, Spec(), Protocol.Tenants.TenantQuota.Default, null, DateTimeOffset.UtcNow);
        var json = System.Text.Json.Nodes.JsonNode.Parse(serializer.ToBinary(old))!;
        json["spec"]!.AsObject().Remove("workers");
        json["spec"]!.AsObject().Remove("output");

        var back = (TaskSubmitted)serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "task.submitted");

        Assert.Equal((1, (TrainingOutput?)null), (back.Spec.Workers, back.Spec.Output));
        var training = old with { Spec = Spec() with { Kind = TaskKinds.Training, Output = new TrainingOutput("gauge-dial", "model.onnx",
            new Protocol.Models.NodeSelector("edge", null, null, null), new PromoteCondition("val_loss", Below: 0.05)) } };
        var again = (TaskSubmitted)serializer.FromBinary(serializer.ToBinary(training), "task.submitted");
        Assert.Equal(training.Spec.Output, again.Spec.Output);
    }

    [Fact]
    public void Should_carry_actor_refs_as_resolvable_paths()
    {
        var msg = new AssignTask(new TaskId("t-1"), 1, Edge, "m", TestActor);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(msg);
        var back = (AssignTask)serializer.FromBinary(serializer.ToBinary(msg), serializer.Manifest(msg));
        Assert.Equal(TestActor.Path, back.Worker.Path);
    }

    [Fact]
    public void Should_refuse_an_unknown_manifest()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new TaskNotFound(new TaskId("t")));
        Assert.ThrowsAny<Exception>(() => serializer.FromBinary("{}"u8.ToArray(), "System.Diagnostics.Process"));
    }
}
