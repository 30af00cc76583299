using ActorGrid.Core.Tasks.Intake;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Runtime.Tests.Tasks.Intake;

public class TaskIntakeStateSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly IntakeKeyRetention Retention = new(TimeSpan.FromHours(24), 3);

    private static SubmitTask Keyed(string id, string hash = "h1") => TaskSamples.Submit(new TaskId(id), key: "k-" + id) with { RequestHash = hash };

    private static TaskIntakeState Accepted(TaskIntakeState state, SubmitTask submit, DateTimeOffset at)
    {
        var decision = state.DecideAccept(new AcceptTask(submit), at, maxPending: 10);
        Assert.NotNull(decision.Event);
        return state.Apply(decision.Event!);
    }

    [Fact]
    public void Should_answer_a_retry_of_a_pending_task_without_writing_and_refuse_a_different_request_under_its_key()
    {
        var state = Accepted(TaskIntakeState.Empty(Retention), Keyed("t-1"), T0);

        var retry = state.DecideAccept(new AcceptTask(Keyed("t-1")), T0.AddSeconds(1), 10);
        Assert.Null(retry.Event);
        Assert.Equal(new TaskAccepted(new TaskId("t-1"), TaskStates.Submitted, Created: false), retry.Answer);

        var reused = state.DecideAccept(new AcceptTask(Keyed("t-1", hash: "other")), T0.AddSeconds(1), 10);
        Assert.IsType<TaskIdempotencyConflict>(reused.Answer);
        Assert.Null(reused.Event);
        Assert.Equal(1, state.PendingCount);
    }

    [Fact]
    public void Should_refuse_past_max_pending_and_take_new_ones_again_once_some_are_handed_over()
    {
        var state = TaskIntakeState.Empty(Retention);
        for (var i = 0; i < 3; i++)
            state = state.Apply(state.DecideAccept(new AcceptTask(TaskSamples.Submit(new TaskId($"t-{i}"))), T0, maxPending: 3).Event!);

        var full = state.DecideAccept(new AcceptTask(TaskSamples.Submit(new TaskId("t-3"))), T0, maxPending: 3);
        Assert.Equal(new TaskIntakeFull(new TaskId("t-3"), 3, 3), full.Answer);

        foreach (var evt in state.DecideHandedOver(new TaskId("t-0"), T0)) state = state.Apply(evt);
        Assert.NotNull(state.DecideAccept(new AcceptTask(TaskSamples.Submit(new TaskId("t-3"))), T0, maxPending: 3).Event);
    }

    [Fact]
    public void Should_hand_over_oldest_first_and_send_a_keyed_retry_after_the_hand_over_to_its_task_entity()
    {
        var state = TaskIntakeState.Empty(Retention);
        foreach (var id in new[] { "t-b", "t-a", "t-c" }) state = Accepted(state, Keyed(id), T0);
        Assert.Equal(["t-b", "t-a", "t-c"], state.PendingInOrder.Select(s => s.TaskId.Value));

        foreach (var evt in state.DecideHandedOver(new TaskId("t-a"), T0.AddSeconds(1))) state = state.Apply(evt);
        Assert.Equal(["t-b", "t-c"], state.PendingInOrder.Select(s => s.TaskId.Value));
        Assert.Null(state.Find(new TaskId("t-a")));
        Assert.True(state.DecideAccept(new AcceptTask(Keyed("t-a")), T0.AddSeconds(2), 10).ForwardToEntity);
        // Handing over twice writes nothing the second time.
        Assert.Empty(state.DecideHandedOver(new TaskId("t-a"), T0.AddSeconds(3)));
    }

    [Fact]
    public void Should_keep_handed_over_keys_only_within_the_retention_age_and_count()
    {
        var state = TaskIntakeState.Empty(Retention);
        for (var i = 0; i < 5; i++)
        {
            state = Accepted(state, Keyed($"t-{i}"), T0);
            foreach (var evt in state.DecideHandedOver(new TaskId($"t-{i}"), T0.AddMinutes(i))) state = state.Apply(evt);
        }
        // The count bound (3): the two oldest left.
        Assert.Equal(["t-2", "t-3", "t-4"], state.Keys.Keys.Select(k => k.Value).Order());

        // The age bound: a hand-over a day later drops every key older than 24 h.
        state = Accepted(state, Keyed("t-late"), T0.AddDays(1));
        foreach (var evt in state.DecideHandedOver(new TaskId("t-late"), T0.AddDays(1).AddMinutes(10))) state = state.Apply(evt);
        Assert.Equal(["t-late"], state.Keys.Keys.Select(k => k.Value));
        // An unkeyed task leaves no key behind.
        state = Accepted(state, TaskSamples.Submit(new TaskId("t-plain")), T0.AddDays(1));
        foreach (var evt in state.DecideHandedOver(new TaskId("t-plain"), T0.AddDays(1).AddMinutes(11))) state = state.Apply(evt);
        Assert.False(state.Keys.ContainsKey(new TaskId("t-plain")));
    }

    [Fact]
    public void Should_show_a_pending_task_as_submitted_at_its_acceptance_and_survive_a_snapshot()
    {
        var state = Accepted(TaskIntakeState.Empty(Retention), Keyed("t-1"), T0);
        state = Accepted(state, Keyed("t-2"), T0.AddSeconds(1));
        state = Accepted(state, Keyed("t-0"), T0.AddSeconds(2));
        foreach (var evt in state.DecideHandedOver(new TaskId("t-2"), T0.AddSeconds(3))) state = state.Apply(evt);

        var found = state.Find(new TaskId("t-1"))!;
        Assert.Equal(TaskStates.Submitted, found.View.State);
        Assert.Equal(T0, found.View.SubmittedAt);
        Assert.Equal(TaskSamples.Acme, found.View.Tenant);
        Assert.Equal("submitted", Assert.Single(found.History).Type);

        var back = TaskIntakeState.FromSnapshot(state.ToSnapshot(), Retention);
        Assert.Equal(["t-1", "t-0"], back.PendingInOrder.Select(s => s.TaskId.Value));
        Assert.True(back.DecideAccept(new AcceptTask(Keyed("t-2")), T0.AddSeconds(4), 10).ForwardToEntity);
        // New arrivals after a recovery still go behind the recovered ones.
        back = Accepted(back, Keyed("t-9"), T0.AddSeconds(5));
        Assert.Equal(["t-1", "t-0", "t-9"], back.PendingInOrder.Select(s => s.TaskId.Value));
    }
}
