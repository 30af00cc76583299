using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// One demand resolved against one inventory: zone and chip names turned into the inventory's ids,
// the origin into a topology index, the SLA into what is left of it at `now`. Built once per
// decision so the per-node checks compare integers and allocate nothing.
internal sealed class DemandContext
{
    public readonly TaskDemand Demand;
    public readonly NodeInventory Inventory;
    public readonly PlacementOptions Options;
    public readonly DateTimeOffset Now;
    public readonly int[]? AllowedZones;
    public readonly bool NeedsChips;
    public readonly bool AnyChip;
    public readonly int ChipModel;
    public readonly int ChipCount;
    public readonly long ChipMinMemory;
    public readonly bool HasOrigin;
    public readonly int Origin;
    public readonly int OriginTier;
    public readonly double? SlaBudgetMs;
    public readonly double MaxPrice;
    public readonly double PriceScale;
    public readonly double RunMs;
    public readonly int Hour;
    public readonly bool LatencyLane;
    public readonly bool BackgroundLane;
    public readonly double GreenWeight;
    public readonly string Workload;
    public readonly ChipProfiles? Profiles;

    // Finish-time scoring and waiting for a faster node apply to this demand.
    public readonly bool FinishTimeAware;

    // The share of the expected run in each hour of the day, when green matters to this demand:
    // a node's green share for it is then its average over the run, not its share at the start.
    public readonly double[]? RunHourWeights;

    // Deferrable work ranks feasible nodes by green share before score.
    public readonly bool GreenFirst;

    public DemandContext(TaskDemand demand, NodeInventory inventory, PlacementOptions options, DateTimeOffset now)
    {
        Demand = demand;
        Inventory = inventory;
        Options = options;
        Now = now;
        if (demand.AllowedZones.Count > 0)
        {
            var ids = new List<int>(demand.AllowedZones.Count);
            foreach (var zone in demand.AllowedZones)
                if (inventory.ZoneId(zone) is var id and >= 0 && !ids.Contains(id)) ids.Add(id);
            AllowedZones = ids.ToArray();
        }
        if (demand.Chips is { Count: > 0 } chips)
        {
            NeedsChips = true;
            AnyChip = chips.IsAnyModel;
            ChipModel = chips.IsAnyModel ? -1 : inventory.ChipModelId(chips.Model!);
            ChipCount = chips.Count;
            ChipMinMemory = chips.MinMemoryMiB;
        }
        HasOrigin = !string.IsNullOrEmpty(demand.OriginSite);
        Origin = HasOrigin ? inventory.Topology.IndexOf(demand.OriginSite) : -1;
        OriginTier = inventory.Topology.SiteTierRank(Origin);
        if (demand.LatencySlaMs is { } sla)
            SlaBudgetMs = sla - Math.Max(0, (now - demand.SubmittedAt).TotalMilliseconds);
        MaxPrice = demand.MaxPricePerHour is { } max ? (double)max : double.PositiveInfinity;
        PriceScale = demand.MaxPricePerHour is { } cap && cap > 0 ? (double)cap : options.ReferencePricePerHour;
        RunMs = demand.ExpectedDuration?.TotalMilliseconds ?? 0;
        Hour = now.Hour;
        LatencyLane = demand.Lane is Lanes.Realtime or Lanes.Interactive;
        BackgroundLane = demand.Lane is Lanes.Batch or Lanes.Deferrable;
        GreenWeight = demand.Lane switch
        {
            Lanes.Deferrable => options.Weights.GreenDeferrable,
            Lanes.Batch => options.Weights.GreenBatch,
            _ => 0,
        };
        if (GreenWeight > 0 || demand.Lane == Lanes.Deferrable)
        {
            RunHourWeights = new double[24];
            GreenWindowPlanner.HourWeights(now, demand.ExpectedDuration ?? TimeSpan.Zero, RunHourWeights);
        }
        GreenFirst = demand.Lane == Lanes.Deferrable && options.DeferrableOnGreenestNode;
        Workload = demand.Workload ?? WorkloadClass.Analysis;
        Profiles = options.ChipProfiles;
        FinishTimeAware = BackgroundLane && options.Weights.FinishTime > 0 && RunMs > 0;
    }

    // The expected run time on this node's chip (slot as CheckStatic returns it, busy ones as ~slot).
    public double RunMsOn(in NodeRow row, int slot)
    {
        if (Profiles is null || RunMs <= 0) return RunMs;
        string? model = null;
        if (NeedsChips)
        {
            var s = slot >= 0 ? slot : ~slot;
            if (s < 0 || s >= row.Chips.Length) return RunMs;
            model = row.Chips[s].ModelName;
        }
        return Profiles.RunSeconds(RunMs, model, Workload);
    }

    // Estimated finish from now on this node: its queue wait, there and back, input transfer, run.
    public double FinishMs(in NodeRow row, int slot)
    {
        double oneWay = 0, transfer = 0;
        if (HasOrigin)
        {
            var link = Inventory.Topology.Link(Origin, row.Site, (Origin < 0 || row.Site < 0) && Demand.OriginSite == row.SiteName);
            oneWay = link.LatencyMs;
            transfer = link.TransferMs(Demand.InputMb);
        }
        return row.QueueWaitMs + 2 * oneWay + transfer + RunMsOn(row, slot);
    }

    // The node's green share for this demand run from now: averaged over the run when it matters.
    public double GreenShare(in NodeRow row) =>
        row.Green is not { } profile ? 0
        : RunHourWeights is { } weights ? GreenWindowPlanner.Dot(profile, weights)
        : profile[Hour];

    public bool ZoneAllowed(int zone)
    {
        if (AllowedZones is null) return true;
        foreach (var allowed in AllowedZones)
            if (allowed == zone) return true;
        return false;
    }

    // The constraints that hold however long the task waits. Returns the chip slot to use (or -1
    // when no chips are needed) and sets `reason` when the node can never take the task.
    public int CheckStatic(in NodeRow row, bool zoneChecked, out RejectReason? reason, out double needed, out double available)
    {
        reason = null;
        needed = available = 0;
        if (!zoneChecked && !ZoneAllowed(row.Zone))
        {
            reason = RejectReason.ZoneNotAllowed;
            return -1;
        }
        var slot = -1;
        if (NeedsChips)
        {
            var staticSlot = -1;
            var why = RejectReason.NoSuchChip;
            for (var c = 0; c < row.Chips.Length; c++)
            {
                ref readonly var chip = ref row.Chips[c];
                if (!AnyChip && chip.Model != ChipModel) continue;
                if (chip.MemoryMiB < ChipMinMemory)
                {
                    why = RejectReason.ChipMemoryTooSmall;
                    (needed, available) = (ChipMinMemory, chip.MemoryMiB);
                    continue;
                }
                if (chip.Total < ChipCount)
                {
                    if (why != RejectReason.ChipMemoryTooSmall) (why, needed, available) = (RejectReason.TooFewChips, ChipCount, chip.Total);
                    continue;
                }
                if (staticSlot < 0) staticSlot = c;
                if (chip.Free >= ChipCount)
                {
                    slot = c;
                    break;
                }
            }
            if (staticSlot < 0)
            {
                reason = why;
                return -1;
            }
            // Every qualifying slot is busy: remember one so the busy reason can name the model.
            if (slot < 0) slot = ~staticSlot;
        }
        if (Demand.Cpu > row.TotalCpu + NodeInventory.CpuTolerance)
        {
            (reason, needed, available) = (RejectReason.TooFewCores, Demand.Cpu, row.TotalCpu);
            return -1;
        }
        if (Demand.MemoryMiB > row.TotalMemory)
        {
            (reason, needed, available) = (RejectReason.TooLittleMemory, Demand.MemoryMiB, row.TotalMemory);
            return -1;
        }
        var price = PricePerHour(row);
        if (price > MaxPrice + 1e-9)
        {
            (reason, needed, available) = (RejectReason.OverMaxPrice, MaxPrice, price);
            return -1;
        }
        return slot;
    }

    // The constraints that can clear with time: state and free capacity. `slot` is CheckStatic's.
    public RejectReason? CheckDynamic(in NodeRow row, int slot, out double needed, out double available)
    {
        needed = available = 0;
        if (!row.Ready) return RejectReason.NotReady;
        if (NeedsChips && slot < 0)
        {
            (needed, available) = (ChipCount, row.Chips[~slot].Free);
            return RejectReason.ChipsBusy;
        }
        if (Demand.Cpu > row.FreeCpu + NodeInventory.CpuTolerance)
        {
            (needed, available) = (Demand.Cpu, row.FreeCpu);
            return RejectReason.CoresBusy;
        }
        if (Demand.MemoryMiB > row.FreeMemory)
        {
            (needed, available) = (Demand.MemoryMiB, row.FreeMemory);
            return RejectReason.MemoryBusy;
        }
        return null;
    }

    public double PricePerHour(in NodeRow row) => Demand.Cpu * row.PricePerCoreHour + (NeedsChips ? ChipCount * row.PricePerChipHour : 0);

    public int TierSteps(in NodeRow row) => HasOrigin ? Math.Abs(row.TierRank - OriginTier) : 0;

    public ScoreTerms Score(in NodeRow row, int slot, double extraFreeCpu = 0, long extraFreeMemory = 0, int extraFreeChips = 0)
    {
        var w = Options.Weights;
        double oneWay = 0, transfer = 0;
        if (HasOrigin)
        {
            var link = Inventory.Topology.Link(Origin, row.Site, (Origin < 0 || row.Site < 0) && Demand.OriginSite == row.SiteName);
            oneWay = link.LatencyMs;
            transfer = link.TransferMs(Demand.InputMb);
        }
        var queue = row.QueueWaitMs;
        var runMs = RunMsOn(row, slot);
        var response = queue + 2 * oneWay + transfer + runMs;
        var meets = SlaBudgetMs is not { } budget || response <= budget;
        var tierSteps = HasOrigin ? Math.Abs(row.TierRank - OriginTier) : 0;

        var util = Math.Max(
            (row.TotalCpu - row.FreeCpu - extraFreeCpu + Demand.Cpu) / row.TotalCpu,
            (double)(row.TotalMemory - row.FreeMemory - extraFreeMemory + Demand.MemoryMiB) / row.TotalMemory);
        if (slot >= 0 && NeedsChips)
        {
            ref readonly var chip = ref row.Chips[slot];
            util = Math.Max(util, (double)(chip.Total - chip.Free - extraFreeChips + ChipCount) / chip.Total);
        }
        var green = GreenShare(row);
        var price = PricePerHour(row);

        var latencyCost = SlaBudgetMs is { } slaBudget
            ? w.SlaUse * response / Math.Max(slaBudget, 1)
            : FinishTimeAware ? w.FinishTime * response / RunMs
            : w.LatencyWithoutSla * Math.Min(1, (queue + 2 * oneWay + transfer) / Math.Max(RunMs, 3_600_000));
        return new ScoreTerms(
            oneWay, transfer, queue, response, SlaBudgetMs, meets, tierSteps, price, green, util,
            TierCost: LatencyLane ? w.TierStep * tierSteps : 0,
            LatencyCost: latencyCost,
            PriceCost: w.Price * price / PriceScale,
            GreenCost: GreenWeight * (1 - green),
            LoadCost: (w.Load - (BackgroundLane && NeedsChips ? w.Pack : 0)) * Math.Clamp(util, 0, 1),
            EdgeHeadroomCost: BackgroundLane && row.TierRank <= 1 ? w.EdgeHeadroom : 0);
    }

    public ResourceClaim Claim(in NodeRow row, int slot) =>
        new(Demand.Cpu, Demand.MemoryMiB, NeedsChips ? row.Chips[slot].ModelName : null, NeedsChips ? ChipCount : 0);
}
