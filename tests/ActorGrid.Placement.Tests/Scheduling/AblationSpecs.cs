using ActorGrid.Sim;
using ActorGrid.Sim.Engine;
using ActorGrid.Sim.Policies;
using ActorGrid.Sim.Scenario;

namespace ActorGrid.Placement.Tests.Scheduling;

// --ablation: every part of the hardware-aware policy can be switched off, and the row that adds
// the last part of actorgrid is actorgrid.
public sealed class AblationSpecs
{
    private static ChipProfiles Profiles() => ChipProfiles.Load(Path.Combine(AppContext.BaseDirectory, "hocon", "chips", "profiles.hocon"));

    [Fact]
    public void Should_name_a_row_for_each_part_switched_off_and_only_with_chip_profiles()
    {
        var inputs = HeterogeneousScenarios.BuildGpuTrace(1, Profiles(), edge: false, days: 1);

        var names = SimRunner.Policies(inputs, all: true, ablation: true).Select(p => p.Name).ToList();
        var without = SimRunner.Policies(inputs with { Profiles = null }, all: true, ablation: true).Select(p => p.Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "ag:speeds", "ag:+wait", "ag:+srf-queue", "ag:+preempt", "ag:+packing", "ag:+queue-plan", "ag:-headroom",
            "ag-blind:-preempt", "las:-preempt", "las:-wait", "las:-speeds" });
        Assert.DoesNotContain(without, n => n.StartsWith("ag:", StringComparison.Ordinal) || n.StartsWith("las:", StringComparison.Ordinal));
    }

    // Two days of the fair trace at x16: the full row reproduces actorgrid exactly, and the rows
    // without preemption never preempt while the ones with it do.
    [Fact]
    public void Should_reproduce_actorgrid_in_its_full_row_and_preempt_only_where_preemption_is_on()
    {
        var inputs = HeterogeneousScenarios.BuildGpuTrace(1, Profiles(), edge: false, days: 2);
        inputs = inputs with { Trace = SimRunner.Scale(inputs.Trace, 16) };
        var rows = ActorGridSimPolicy.Ablation(inputs.Profiles!).ToDictionary(p => p.Name);

        var actorgrid = Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!), 1);
        var full = Simulation.Run(inputs, rows["ag:+preempt"], 1);
        var srf = Simulation.Run(inputs, rows["ag:+srf-queue"], 1);
        var las = Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!, ActorGridParts.Untold, ActorGridSimPolicy.LasName), 1);
        var lasNoPreempt = Simulation.Run(inputs, rows["las:-preempt"], 1);

        Assert.Equal(actorgrid.MeanJctS, full.MeanJctS, 6);
        Assert.Equal(actorgrid.Preemptions, full.Preemptions);
        Assert.Equal(0, srf.Preemptions);
        Assert.Equal(0, lasNoPreempt.Preemptions);
        Assert.True(actorgrid.Preemptions > 0, "actorgrid preempted nothing at x16");
        Assert.True(las.Preemptions > 0, "actorgrid-las preempted nothing at x16");
        // Bounded: nobody is evicted more than ServicePreemption.MaxPreemptions times (plus realtime evictions: none here).
        Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!, ActorGridParts.Untold, ActorGridSimPolicy.LasName), 1, out var tasks);
        Assert.All(tasks, t => Assert.InRange(t.Preemptions, 0, ServicePreemption.MaxPreemptions));
    }
}
