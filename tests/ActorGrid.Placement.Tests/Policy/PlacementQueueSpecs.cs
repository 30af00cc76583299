using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class PlacementQueueSpecs
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(15);

    private static TaskDemand Task(string id, string lane, double minutesAgo) =>
        new(new TaskId(id), 1, 128, null, lane, Now.AddMinutes(-minutesAgo), []);

    // The merged lane FIFOs must give exactly the order a full sort by LaneQueueComparer gives,
    // whatever the mix of lanes, ages (aging lifts old work across lanes) and ties in time.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Should_serve_in_the_order_a_full_sort_gives(int seed)
    {
        var random = new Random(seed);
        var queue = new PlacementQueue<TaskDemand>();
        var all = new Dictionary<TaskId, TaskDemand>();
        for (var i = 0; i < 2_000; i++)
        {
            // Whole minutes, so many tasks tie on time and the tie-breaks are exercised too.
            var demand = Task($"t-{random.Next(600):000}", Lanes.All[random.Next(Lanes.All.Count)], random.Next(120));
            if (random.Next(5) == 0 && all.Remove(demand.TaskId)) queue.Remove(demand.TaskId);
            else
            {
                queue.Set(demand, demand);
                all[demand.TaskId] = demand;
            }
        }

        var expected = all.Values.ToList();
        expected.Sort(new LaneQueueComparer(Now, Step));

        Assert.Equal(all.Count, queue.Count);
        Assert.Equal(expected.Select(d => d.TaskId.Value), queue.InServiceOrder(Now, Step).Select(d => d.TaskId.Value));
    }

    // Under the service discipline the sub-queues must give exactly ServiceQueueComparer's full
    // sort (the simulator's order): shortest remaining service first among told batch work, FIFO
    // among the rest, and the starved (waited 4x their service, at least 2 h, or a day when not told) ahead of all.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Should_serve_by_service_in_the_order_a_full_sort_by_service_gives(int seed)
    {
        var random = new Random(seed);
        var queue = new PlacementQueue<TaskDemand>(QueueDiscipline.Service);
        var all = new Dictionary<TaskId, TaskDemand>();
        for (var i = 0; i < 2_000; i++)
        {
            var demand = ServiceTask(random, $"t-{random.Next(600):000}");
            if (random.Next(5) == 0 && all.Remove(demand.TaskId)) queue.Remove(demand.TaskId);
            else
            {
                queue.Set(demand, demand);
                all[demand.TaskId] = demand;
            }
        }

        // Passes in time: tasks become starved between them and must move ahead (by the last, some
        // untold ones are past their day and some are not).
        foreach (var now in new[] { Now.AddMinutes(-200), Now, Now.AddHours(19) })
        {
            var expected = all.Values.ToList();
            var order = new ServiceQueueComparer(now, _ => 0);
            expected.Sort(order);
            Assert.Contains(expected, d => order.Starved(d));
            if (now <= Now) Assert.Contains(expected, d => d.ExpectedDuration is not null && !order.Starved(d) && d.Lane == Lanes.Batch);
            else
            {
                Assert.Contains(expected, d => d.ExpectedDuration is null && order.Starved(d) && d.Lane == Lanes.Batch);
                Assert.Contains(expected, d => d.ExpectedDuration is null && !order.Starved(d) && d.Lane == Lanes.Batch);
            }
            Assert.Equal(expected.Select(d => d.TaskId.Value), queue.InServiceOrder(now, Step).Select(d => d.TaskId.Value));
        }
    }

    [Fact]
    public void Should_serve_the_shortest_told_batch_task_first_and_a_starved_one_before_it()
    {
        var queue = new PlacementQueue<string>(QueueDiscipline.Service);
        queue.Set(Task("t-long", Lanes.Batch, 30) with { ExpectedDuration = TimeSpan.FromHours(3) }, "long");
        queue.Set(Task("t-untold", Lanes.Batch, 40), "untold");
        queue.Set(Task("t-short", Lanes.Batch, 1) with { ExpectedDuration = TimeSpan.FromMinutes(5) }, "short");
        queue.Set(Task("t-ui", Lanes.Interactive, 0), "interactive");
        Assert.Equal(["interactive", "short", "long", "untold"], queue.InServiceOrder(Now, Step));
        // 100 min on, nothing is starved yet: the short task has waited 101 min of its 2 h guard,
        // the long one 130 min of the 12 h its guard gives it (4 x 3 h), and the untold one 140 min
        // of the day an untold task's guard gives it.
        Assert.Equal(["interactive", "short", "long", "untold"], queue.InServiceOrder(Now.AddMinutes(100), Step));
        // 23 h on, the told tasks are past their guards and go first, oldest first; the untold one
        // still waits its LAS turn.
        Assert.Equal(["long", "short", "interactive", "untold"], queue.InServiceOrder(Now.AddHours(23), Step));
        // A day on, the untold one is past its guard too, and it is the oldest.
        Assert.Equal(["untold", "long", "short", "interactive"], queue.InServiceOrder(Now.AddHours(24), Step));
        // The lanes discipline is FIFO within batch.
        var lanes = new PlacementQueue<string>();
        lanes.Set(Task("t-long", Lanes.Batch, 30) with { ExpectedDuration = TimeSpan.FromHours(3) }, "long");
        lanes.Set(Task("t-short", Lanes.Batch, 1) with { ExpectedDuration = TimeSpan.FromMinutes(5) }, "short");
        Assert.Equal(["long", "short"], lanes.InServiceOrder(Now, Step));
    }

    private static TaskDemand ServiceTask(Random random, string id)
    {
        var chips = random.Next(4);
        return Task(id, Lanes.All[random.Next(Lanes.All.Count)], random.Next(600)) with
        {
            Chips = chips == 0 ? null : new ChipDemand(null, chips),
            ExpectedDuration = random.Next(3) == 0 ? null : TimeSpan.FromMinutes(random.Next(1, 120)),
        };
    }

    // A pass over groups visits exactly what the full order gives, less the rest of each group
    // after a head was refused (SkipGroup), even while visits remove tasks further down.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Should_pass_in_the_full_order_skipping_the_rest_of_a_refused_group(int seed)
    {
        foreach (var discipline in Enum.GetValues<QueueDiscipline>()) PassesInFullOrder(seed, discipline);
    }

    private static void PassesInFullOrder(int seed, QueueDiscipline discipline)
    {
        var random = new Random(seed);
        var queue = new PlacementQueue<TaskDemand>(discipline);
        var groups = new Dictionary<TaskId, string>();
        var services = new[] { (TimeSpan?)null, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(50) };
        for (var i = 0; i < 2_000; i++)
        {
            var demand = Task($"t-{i:0000}", Lanes.All[random.Next(Lanes.All.Count)], random.Next(discipline == QueueDiscipline.Service ? 400 : 120));
            // A group is one lane and one service, as DemandClass makes it.
            var service = random.Next(3);
            if (discipline == QueueDiscipline.Service) demand = demand with { ExpectedDuration = services[service] };
            var group = $"{demand.Lane}/{service}/{random.Next(6)}";
            queue.Set(demand, demand, group);
            groups[demand.TaskId] = group;
        }
        // Refusals and removals fixed by id, so the expected pass can be worked out from the full order.
        static bool Refused(TaskId id) => id.Value.GetHashCode(StringComparison.Ordinal) % 7 == 0;
        static TaskId? Removes(TaskId id) => int.Parse(id.Value[2..]) % 11 == 0 ? new TaskId($"t-{(int.Parse(id.Value[2..]) + 1) % 2_000:0000}") : null;

        var expected = new List<string>();
        var skipped = new HashSet<string>();
        var removed = new HashSet<TaskId>();
        foreach (var demand in queue.InServiceOrder(Now, Step))
        {
            if (skipped.Contains(groups[demand.TaskId]) || removed.Contains(demand.TaskId)) continue;
            expected.Add(demand.TaskId.Value);
            if (Removes(demand.TaskId) is { } gone) removed.Add(gone);
            if (Refused(demand.TaskId)) skipped.Add(groups[demand.TaskId]);
        }

        var visited = new List<string>();
        queue.Pass(Now, Step, demand =>
        {
            visited.Add(demand.TaskId.Value);
            if (Removes(demand.TaskId) is { } gone) queue.Remove(gone);
            return Refused(demand.TaskId) ? PassStep.SkipGroup : PassStep.Next;
        });
        Assert.True(skipped.Count > 0 && removed.Count > 0);
        Assert.Equal(expected, visited);
    }

    [Fact]
    public void Should_end_a_pass_where_the_visit_says_stop_and_visit_each_ungrouped_task_on_its_own()
    {
        var queue = new PlacementQueue<string>();
        queue.Set(Task("t-a", Lanes.Batch, 5), "a");
        queue.Set(Task("t-b", Lanes.Batch, 4), "b");
        queue.Set(Task("t-c", Lanes.Batch, 3), "c");
        var visited = new List<string>();
        // Ungrouped: refusing "a" skips nothing else.
        queue.Pass(Now, Step, item =>
        {
            visited.Add(item);
            return item == "b" ? PassStep.Stop : PassStep.SkipGroup;
        });
        Assert.Equal(["a", "b"], visited);
    }

    [Fact]
    public void Should_move_a_task_whose_lane_or_submission_changed_and_forget_a_removed_one()
    {
        var queue = new PlacementQueue<string>();
        queue.Set(Task("t-a", Lanes.Batch, 5), "a batch");
        queue.Set(Task("t-b", Lanes.Batch, 4), "b batch");
        queue.Set(Task("t-c", Lanes.Interactive, 1), "c interactive");
        Assert.Equal(["c interactive", "a batch", "b batch"], queue.InServiceOrder(Now, Step));

        queue.Set(Task("t-b", Lanes.Realtime, 4), "b realtime");
        queue.Set(Task("t-a", Lanes.Batch, 5), "a batch, new reason");
        Assert.Equal(["b realtime", "c interactive", "a batch, new reason"], queue.InServiceOrder(Now, Step));

        Assert.True(queue.Remove(new TaskId("t-c")));
        Assert.False(queue.Remove(new TaskId("t-c")));
        Assert.False(queue.Contains(new TaskId("t-c")));
        Assert.True(queue.TryGet(new TaskId("t-a"), out var a));
        Assert.Equal("a batch, new reason", a);
        Assert.Equal(["b realtime", "a batch, new reason"], queue.InServiceOrder(Now, Step));
    }

    [Fact]
    public void Should_put_demands_that_differ_only_in_task_and_time_in_one_class()
    {
        var one = new TaskDemand(new TaskId("t-1"), 2, 512, new ChipDemand("nvidia-l4", 1), Lanes.Batch, Now, ["CN-ZJ"], Tenant: new TenantId("acme"));
        var other = one with { TaskId = new TaskId("t-2"), SubmittedAt = Now.AddMinutes(-3), AllowedZones = ["CN-ZJ"] };

        Assert.NotNull(DemandClass.Of(one));
        Assert.Equal(DemandClass.Of(one), DemandClass.Of(other));
        Assert.NotEqual(DemandClass.Of(one), DemandClass.Of(one with { Cpu = 3 }));
        Assert.NotEqual(DemandClass.Of(one), DemandClass.Of(one with { AllowedZones = ["CN-ZJ", "CN-SH"] }));
        Assert.NotEqual(DemandClass.Of(one), DemandClass.Of(one with { Tenant = new TenantId("globex") }));
        Assert.NotEqual(DemandClass.Of(one), DemandClass.Of(one with { Lane = Lanes.Interactive }));
        // An SLA budget shrinks as the task waits, and green deferral spreads tasks by id: never shared.
        Assert.Null(DemandClass.Of(one with { LatencySlaMs = 80 }));
        Assert.Null(DemandClass.Of(one with { Deadline = Now.AddHours(4) }));
    }
}
