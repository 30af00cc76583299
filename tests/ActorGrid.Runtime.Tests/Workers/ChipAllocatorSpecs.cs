using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Workers;

// Chips are owned, not counted: each live attempt holds specific indices and no index is held twice.
public class ChipAllocatorSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TaskId A = new("a"), B = new("b"), C = new("c");

    private static ResourceRequirements Chips(string model, int count) => new(0.5, 64, new ChipRequirement(model, count));

    [Fact]
    public void Should_give_two_attempts_different_indices_and_refuse_a_third_until_one_is_released()
    {
        var ledger = new WorkerLedger(Node("gpu-1", cpu: 8, chips: new ChipSet("nvidia-a100", 2, 40960)));

        Assert.Null(ledger.Start(A, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Null(ledger.Start(B, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        var a = ledger.Chips.HeldBy(A)!;
        var b = ledger.Chips.HeldBy(B)!;
        Assert.Equal([0], a.Indices);
        Assert.Equal([1], b.Indices);

        Assert.Contains("0 free nvidia-a100", ledger.WhyNot(Chips("nvidia-a100", 1), []));
        Assert.NotNull(ledger.Start(C, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Null(ledger.Chips.HeldBy(C));

        ledger.Release(A);
        Assert.Null(ledger.Start(C, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Equal([0], ledger.Chips.HeldBy(C)!.Indices);
    }

    [Fact]
    public void Should_keep_the_chips_of_a_promise_when_the_attempt_starts()
    {
        var ledger = new WorkerLedger(Node("gpu-1", cpu: 8, chips: new ChipSet("nvidia-a100", 4, 40960)));
        Assert.Null(ledger.Promise(A, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Null(ledger.Promise(B, 1, Chips("nvidia-a100", 2), Lanes.Batch, false, T0));
        var promised = ledger.Chips.HeldBy(B)!.Indices;

        Assert.Null(ledger.Start(B, 1, Chips(ChipRequirement.AnyModel, 2), Lanes.Batch, false, T0));

        Assert.Equal([1, 2], promised);
        Assert.Equal(promised, ledger.Chips.HeldBy(B)!.Indices);
        Assert.Equal(1, ledger.Free().Chips["nvidia-a100"]);
    }

    [Fact]
    public void Should_match_any_model_the_host_has_and_say_why_not_when_none_is_free()
    {
        var ledger = new WorkerLedger(Node("mixed-1", cpu: 8, chips: [new ChipSet("nvidia-l4", 1, 24576), new ChipSet("ascend-910b", 2, 65536)]));

        Assert.Null(ledger.WhyNot(Chips(ChipRequirement.AnyModel, 2), []));
        Assert.Null(ledger.Start(A, 1, Chips(ChipRequirement.AnyModel, 2), Lanes.Batch, false, T0));
        var grant = ledger.Chips.HeldBy(A)!;
        Assert.Equal("ascend-910b", grant.Model);
        Assert.Equal([0, 1], grant.Indices); // Ascend numbers its own devices from 0

        Assert.Null(ledger.Start(B, 1, Chips(ChipRequirement.AnyModel, 1), Lanes.Batch, false, T0));
        Assert.Equal("nvidia-l4", ledger.Chips.HeldBy(B)!.Model);
        Assert.Contains("0 free chips", ledger.WhyNot(Chips(ChipRequirement.AnyModel, 1), []));
        Assert.Contains("no chips", new WorkerLedger(Node("cpu-only")).WhyNot(Chips(ChipRequirement.AnyModel, 1), []));
    }

    [Fact]
    public void Should_number_chips_per_vendor_in_descriptor_order()
    {
        var chips = new ChipAllocator(Node("hub-1", chips: [new ChipSet("nvidia-a100", 2, 1), new ChipSet("ascend-910b", 1, 1), new ChipSet("nvidia-l4", 1, 1)])).Chips;
        Assert.Equal([("nvidia-a100", 0), ("nvidia-a100", 1), ("ascend-910b", 0), ("nvidia-l4", 2)], chips.Select(c => (c.Model, c.Index)));
    }

    [Fact]
    public void Should_tell_each_vendor_runtime_the_indices_and_hide_cuda_devices_from_attempts_without_chips()
    {
        var nvidia = ChipVendors.EnvironmentFor(new ChipAllocator.Grant(A, 1, "nvidia-h100", ChipVendors.Nvidia, [1, 3]));
        Assert.Equal("1,3", nvidia["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("1,3", nvidia["NVIDIA_VISIBLE_DEVICES"]);

        var ascend = ChipVendors.EnvironmentFor(new ChipAllocator.Grant(A, 1, "ascend-910b", ChipVendors.Of("ascend-910b"), [2]));
        Assert.Equal("2", ascend["ASCEND_RT_VISIBLE_DEVICES"]);
        Assert.Equal("", ascend["CUDA_VISIBLE_DEVICES"]);

        var none = ChipVendors.EnvironmentFor(null);
        Assert.Equal("", none["CUDA_VISIBLE_DEVICES"]);
        Assert.False(none.ContainsKey("NVIDIA_VISIBLE_DEVICES"));
    }

    [Fact]
    public void Should_give_back_the_chips_of_an_expired_promise()
    {
        var ledger = new WorkerLedger(Node("gpu-1", cpu: 8, chips: new ChipSet("nvidia-a100", 1, 40960)));
        Assert.Null(ledger.Promise(A, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Equal([A], ledger.ExpirePromises(T0.AddMinutes(5), TimeSpan.FromMinutes(1)));
        Assert.Null(ledger.Chips.HeldBy(A));
        Assert.Null(ledger.Promise(B, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
    }

    // CUDA inference runs on the node's first NVIDIA chip; with own-chip on, no attempt gets it.
    [Fact]
    public void Should_never_grant_the_chip_inference_holds_and_say_so_when_an_attempt_waits_for_it()
    {
        var node = Node("gpu-1", cpu: 8, chips: new ChipSet("nvidia-a100", 2, 40960));
        var ledger = new WorkerLedger(node, inferenceDevice: 0);

        Assert.Equal([new HeldChip("nvidia-a100", 0, "inference")], ledger.Chips.Held);
        Assert.Equal(1, ledger.Free().Chips["nvidia-a100"]);
        Assert.Null(ledger.Start(A, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.Equal([1], ledger.Chips.HeldBy(A)!.Indices);
        var why = ledger.WhyNot(Chips(ChipRequirement.AnyModel, 1), []);
        Assert.Contains("0 free chips of one model, 1 needed (nvidia 0 is held for inference)", why);
        Assert.NotNull(ledger.Start(B, 1, Chips("nvidia-a100", 1), Lanes.Batch, false, T0));
        Assert.NotNull(ledger.WhyNot(Chips("nvidia-a100", 2), [A])); // even with A gone, only one is ever free

        // Without a held chip (own-chip off, or inference on CPU) both are granted.
        Assert.Empty(new WorkerLedger(node).Chips.Held);
    }

    [Fact]
    public void Should_hold_a_chip_for_inference_only_when_it_runs_on_cuda_on_a_declared_nvidia_chip_and_own_chip_is_on()
    {
        var gpu = Node("gpu-1", cpu: 8, chips: [new ChipSet("ascend-910b", 1, 65536), new ChipSet("nvidia-l4", 2, 24576)]);
        var cuda = new ActorGrid.Worker.Inference.ExecutionTarget("cuda", 0);
        Assert.Equal(0, WorkerSetup.OwnedDevice(gpu, cuda, ownChip: true));
        Assert.Null(WorkerSetup.OwnedDevice(gpu, cuda, ownChip: false));
        Assert.Null(WorkerSetup.OwnedDevice(gpu, ActorGrid.Worker.Inference.ExecutionTarget.OnCpu, ownChip: true));
        // [cuda] configured on a node that declares no NVIDIA chip: nothing of the allocator's to hold.
        Assert.Null(WorkerSetup.OwnedDevice(Node("cpu-1", cpu: 8), cuda, ownChip: true));
        // The same decision InferenceHost makes, by this build's providers: on the CPU package (CI) nothing is held.
        var hasCuda = ActorGrid.Worker.Inference.OnnxSessionFactory.AvailableProviders.Contains("CUDAExecutionProvider");
        var defaults = ActorGrid.Worker.Inference.InferenceSettings.Default;
        var target = ActorGrid.Worker.Inference.ExecutionTarget.For(gpu, defaults.ExecutionProviders, ActorGrid.Worker.Inference.OnnxSessionFactory.AvailableProviders);
        Assert.Equal(hasCuda ? 0 : null, WorkerSetup.OwnedDevice(gpu, target, defaults.OwnChip));
    }

    // Detected cards keep nvidia-smi's numbers, and CUDA is told to number them the same way.
    [Fact]
    public void Should_grant_detected_cards_by_their_device_indices_in_pci_bus_order()
    {
        var node = Node("mixed-1", cpu: 8, chips: [new ChipSet("nvidia-h100", 2, 81559, [0, 2]), new ChipSet("nvidia-l4", 1, 23034, [1])]);
        var ledger = new WorkerLedger(node);

        Assert.Null(ledger.Start(A, 1, Chips("nvidia-h100", 2), Lanes.Batch, false, T0));
        Assert.Null(ledger.Start(B, 1, Chips("nvidia-l4", 1), Lanes.Batch, false, T0));
        Assert.Equal([0, 2], ledger.Chips.HeldBy(A)!.Indices);
        Assert.Equal([1], ledger.Chips.HeldBy(B)!.Indices);
        var env = ChipVendors.EnvironmentFor(ledger.Chips.HeldBy(A));
        Assert.Equal(("0,2", "PCI_BUS_ID"), (env["CUDA_VISIBLE_DEVICES"], env["CUDA_DEVICE_ORDER"]));
        Assert.False(ChipVendors.EnvironmentFor(null).ContainsKey("CUDA_DEVICE_ORDER"));
    }
}
