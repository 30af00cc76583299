namespace ActorGrid.Placement;

// Demands that no node can tell apart: everything the policy weighs except which task it is and
// when it was submitted. Within one pass over the queue, capacity only shrinks (each placement
// takes room, nothing is freed), so once one demand of a class found no node, every later one of
// that class would not either, and the pass skips the decision instead of repeating it. This is
// what keeps a deep queue of identical waiting work from costing a full policy scan per task on
// every heartbeat. Null for demands whose outcome depends on the task or its age (an SLA budget
// shrinks as it waits; green deferral spreads tasks by id): those are always decided.
public readonly record struct DemandClass(
    string? Tenant, double Cpu, long MemoryMiB, string? ChipModel, int ChipCount, long ChipMemoryMiB,
    string Lane, string Zones, string? OriginSite, decimal? MaxPricePerHour, double InputMb, bool Preemptible,
    TimeSpan? ExpectedDuration, string? Workload)
{
    public static DemandClass? Of(TaskDemand demand) =>
        demand.LatencySlaMs is not null || demand.Deadline is not null
            ? null
            : new DemandClass(
                demand.Tenant?.Value, demand.Cpu, demand.MemoryMiB, demand.Chips?.Model, demand.Chips?.Count ?? 0, demand.Chips?.MinMemoryMiB ?? 0,
                demand.Lane, string.Join('\u001f', demand.AllowedZones), demand.OriginSite, demand.MaxPricePerHour,
                demand.InputMb, demand.Preemptible, demand.ExpectedDuration, demand.Workload);
}
