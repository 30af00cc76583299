using System.Diagnostics;
using ActorGrid.Hosting.Observability;
using ActorGrid.Placement;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using Akka.Actor;
using Akka.Event;

namespace ActorGrid.Core.Placement;

// The placement actor's gang path: a training gang no single node holds is split by GangPlanner,
// held on every host at once and awarded to all of them together (GangNegotiation).
public sealed partial class PlacementActor
{
    // No single node holds the whole gang: the planner splits it over the fewest that hold every
    // rank now, and all of them are held at once while their workers are asked to promise.
    private string? TryPlaceGang(RequestPlacement request, GangRequest gang, string whyNotOne, double micros, DateTimeOffset now)
    {
        var started = Stopwatch.GetTimestamp();
        var perRank = CandidateShortlist.DemandOf(request with { Requirements = gang.PerRank });
        var plan = GangPlanner.Plan(perRank, gang.Workers, _view.Inventory(_topology), _policy.Options, now);
        micros += Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (!plan.IsPlaced)
            return Waited(request, $"{whyNotOne}; split over nodes: {plan.Reason}" +
                (_view.DescribeWithheld() is { Length: > 0 } withheld ? $"; offered nothing for now: {withheld}" : ""), micros);
        var hosts = plan.Hosts.Select(h => _view.Find(h.Node) is { InInventory: true } slot
            ? new GangHost(h, slot.Worker!, slot.View.Member!, RequirementsOf(h.Claim, gang.PerRank))
            : null).ToList();
        if (hosts.Any(h => h is null)) return Waited(request, "a node of the gang plan left the view", micros);
        _notBefore.Remove(request.TaskId);
        _decisionMicros[request.TaskId] = micros;
        _negotiating[request.TaskId] = Context.ActorOf(GangNegotiation.Props(request, hosts!, _settings));
        if (GridTracing.Start("placement.decide", request.TraceParent) is { } span)
            _deciding[request.TaskId] = span.SetTag("actorgrid.task", request.TaskId.Value).SetTag("actorgrid.attempt", request.Attempt)
                .SetTag("actorgrid.gang.nodes", hosts.Count);
        _view.ReserveGang([.. hosts.Select(h => (h!.Slot.Node, ReservationFor(request, h.Requirements)))]);
        return null;
    }

    private string Waited(RequestPlacement request, string why, double micros)
    {
        Wait(request, why, micros);
        return why;
    }

    private static ResourceRequirements RequirementsOf(ResourceClaim claim, ResourceRequirements perRank) =>
        new(claim.Cpu, claim.MemoryMiB, claim.ChipModel is { } model && claim.ChipCount > 0
            ? new ChipRequirement(model, claim.ChipCount, perRank.Chips?.MinMemoryMiB ?? 0)
            : null);

    private void OnGangConcluded(GangConcluded done)
    {
        var request = done.Request;
        var first = done.Hosts[0];
        EndDecision(request.TaskId, first.Slot.Node, reason: null);
        _negotiating.Remove(request.TaskId);
        _decisionMicros.Remove(request.TaskId, out var micros);
        if (!_waiting.Remove(request.TaskId))
        {
            _view.Release(request.TaskId, request.Attempt);
            foreach (var host in done.Hosts) host.Worker.Tell(new CancelTaskRun(request.TaskId, request.Attempt, "no longer wanted"));
            return;
        }
        _view.ReserveGang([.. done.Hosts.Select(h => (h.Slot.Node, ReservationFor(request, h.Requirements)))]);
        var gang = done.Hosts.Select(h => new GangMember(h.Slot.Node, h.Member, h.Slot.NodeRank, h.Slot.FirstRank, h.Slot.Ranks)).ToList();
        _gangs[request.TaskId] = gang;
        var where = string.Join(", ", gang.Select(m => $"{m.Node} ranks {m.FirstRank}-{m.FirstRank + m.Ranks - 1}"));
        _log.Info("Placed {0} attempt {1} as a gang of {2} ranks over {3} nodes: {4}", request.TaskId, request.Attempt, request.Gang?.Workers, gang.Count, where);
        var price = done.Hosts.Sum(h => PriceOf(h));
        var explanation = new PlacementExplanation(first.Slot.Node, 0, new Dictionary<string, double> { ["gangNodes"] = gang.Count },
            [.. done.Hosts.Skip(1).Select(h => new CandidateExplanation(h.Slot.Node, $"gang node rank {h.Slot.NodeRank}: ranks {h.Slot.FirstRank}-{h.Slot.FirstRank + h.Slot.Ranks - 1}", null))],
            done.Asked, done.Asked, [], price);
        PublishDecision(request, first.Slot.Node, $"no single node holds the gang; split over {gang.Count} nodes: {where}", micros, cpu: done.Hosts.Sum(h => h.Requirements.Cpu));
        TaskRegion.Tell(new AssignTask(request.TaskId, request.Attempt, first.Slot.Node, first.Member, first.Worker, explanation, gang));
    }

    private decimal PriceOf(GangHost host) =>
        _view.Find(host.Slot.Node)?.View.Descriptor is { } d
            ? (decimal)host.Requirements.Cpu * d.PricePerCoreHour + (host.Requirements.Chips?.Count ?? 0) * d.PricePerChipHour
            : 0;
}
