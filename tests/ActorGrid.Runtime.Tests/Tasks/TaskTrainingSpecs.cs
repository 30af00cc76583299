using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// A succeeded training task registers its output as a model version and, when promoteIf holds,
// deploys it; the rules without an actor system.
public class TaskTrainingSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly ModelSignature Signature = new([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 1])]);
    private static readonly TrainedModel Output = new(new string('a', 64), 1234, Signature, "akka.tcp://actorgrid@gw:1");
    private static readonly NodeSelector Edge2 = new("edge", null, null, null);
    private readonly TaskId _id = new("train-1");

    private static TaskState Fold(TaskState state, IEnumerable<ITaskEvent> events) =>
        events.Aggregate(state, (s, e) => s.Apply(e, s.LastSeq + 1));

    private TaskState Succeeded(TrainingOutput output, IReadOnlyDictionary<string, double>? metrics, TrainedModel? model = null)
    {
        var spec = Spec() with { Kind = TaskKinds.Training, Output = output };
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(new SubmitTask(_id, Acme, spec, TenantQuota.Default, null), T0));
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 1, Edge, "akka.tcp://actorgrid@h:1", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideStarted(new ReportTaskStarted(_id, 1, Edge, 42), T0));
        return Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Succeeded, 0, null, "", "", Metrics: metrics, Output: model ?? Output), T0));
    }

    private static ModelVersionAccepted Accepted(string name, int version, string sha) =>
        new(new ModelVersionView(Acme, name, version, sha, 1234, Signature, "gw", T0), Created: true);

    [Fact]
    public void Should_register_the_output_with_its_lineage_and_then_deploy_it_when_promote_if_holds()
    {
        var s = Succeeded(new TrainingOutput("gauge-dial", "model.onnx", Edge2, new PromoteCondition("val_loss", Below: 0.05)),
            new Dictionary<string, double> { ["val_loss"] = 0.01 });

        var register = Assert.IsType<RegisterModelVersion>(s.OwedModelStep);
        Assert.Equal(("gauge-dial", Output.Sha256, Output.StoredBy), (register.Name, register.Sha256, register.StoredBy));
        Assert.Equal(_id, register.Lineage!.Task);
        Assert.Equal(0.01, register.Lineage.Metrics["val_loss"]);

        s = Fold(s, s.DecideModelRegistered(Accepted("gauge-dial", 3, Output.Sha256), T0));
        Assert.Equal(new TaskModelOutcome("gauge-dial", 3, Output.Sha256), s.Model);
        var deploy = Assert.IsType<DeployModel>(s.OwedModelStep);
        Assert.Equal((3, Edge2), (deploy.Model.Version, deploy.Selector));

        var deployed = new ModelDeploymentAccepted(new ModelDeployment(deploy.Model, Edge2, T0));
        s = Fold(s, s.DecideModelDeployed(deployed, T0));
        Assert.True(s.Model!.Deployed);
        Assert.Null(s.OwedModelStep);
        Assert.Empty(s.DecideModelDeployed(deployed, T0));
        Assert.Equal(["model-registered", "model-deployed"], s.History.TakeLast(2).Select(h => h.Type));
        Assert.Equal(s.Model, TaskState.FromSnapshot(s.ToSnapshot()).Model);
    }

    [Fact]
    public void Should_register_but_not_deploy_when_promote_if_does_not_hold_and_say_why()
    {
        var s = Succeeded(new TrainingOutput("gauge-dial", "model.onnx", Edge2, new PromoteCondition("val_loss", Below: 0.05)),
            new Dictionary<string, double> { ["val_loss"] = 0.2 });

        s = Fold(s, s.DecideModelRegistered(Accepted("gauge-dial", 1, Output.Sha256), T0));

        Assert.False(s.Model!.Deployed);
        Assert.Contains("val_loss = 0.2 is not below 0.05", s.Model.Reason);
        Assert.Equal("model-not-deployed", s.History[^1].Type);
        Assert.Null(s.OwedModelStep);
    }

    [Fact]
    public void Should_ignore_a_catalog_answer_for_other_bytes_and_owe_nothing_without_an_output()
    {
        var s = Succeeded(new TrainingOutput("gauge-dial", "model.onnx"), null);
        Assert.Empty(s.DecideModelRegistered(Accepted("gauge-dial", 1, new string('b', 64)), T0));
        Assert.Empty(s.DecideModelRegistered(Accepted("other", 1, Output.Sha256), T0));

        s = Fold(s, s.DecideModelRegistered(Accepted("gauge-dial", 1, Output.Sha256), T0));
        Assert.False(s.Model!.Deployed); // no deploy was asked
        Assert.Null(s.OwedModelStep);
        Assert.Empty(s.DecideModelRegistered(Accepted("gauge-dial", 1, Output.Sha256), T0));

        var failed = TaskState.Empty(_id);
        Assert.Null(failed.OwedModelStep);
    }

    [Fact]
    public void Should_keep_the_last_metrics_the_worker_saw_when_the_attempt_ends()
    {
        var s = Succeeded(new TrainingOutput("m", "model.onnx"), new Dictionary<string, double> { ["val_loss"] = 0.03 });
        Assert.Equal(0.03, s.Metrics!["val_loss"]);
        Assert.Equal(Output, s.Attempts[^1].Output);
    }

    [Fact]
    public void Should_hold_promote_if_only_on_a_reported_metric_within_its_bounds()
    {
        var below = new PromoteCondition("val_loss", Below: 0.05);
        Assert.Null(below.WhyNot(new Dictionary<string, double> { ["val_loss"] = 0.049 }));
        Assert.Contains("not below", below.WhyNot(new Dictionary<string, double> { ["val_loss"] = 0.05 }));
        Assert.Contains("never reported", below.WhyNot(null));
        Assert.Contains("not above", new PromoteCondition("acc", Above: 0.9).WhyNot(new Dictionary<string, double> { ["acc"] = 0.5 }));
    }

    [Fact]
    public void Should_reserve_a_gang_as_its_per_rank_requirements_times_its_ranks()
    {
        var spec = Spec() with
        {
            Kind = TaskKinds.Training, Workers = 4,
            Requirements = new ResourceRequirements(1.5, 2048, new ChipRequirement(ChipRequirement.AnyModel, 2)),
        };
        Assert.Equal(new ResourceRequirements(6, 8192, new ChipRequirement(ChipRequirement.AnyModel, 8)), TrainingGang.Requirements(spec));
        Assert.Same(spec.Requirements, TrainingGang.Requirements(spec with { Workers = 1 }));
        Assert.Same(spec.Requirements, TrainingGang.Requirements(spec with { Kind = TaskKinds.Process }));
    }
}
