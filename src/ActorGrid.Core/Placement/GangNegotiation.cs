using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using Akka.Actor;

namespace ActorGrid.Core.Placement;

// One host of a gang award: the planner's slot, the worker to promise it and what it reserves there.
public sealed record GangHost(GangSlot Slot, IActorRef Worker, string Member, ResourceRequirements Requirements);

// Placement child → placement actor: every host of the gang promised its ranks' room.
internal sealed record GangConcluded(RequestPlacement Request, IReadOnlyList<GangHost> Hosts, int Asked);

// The award of a gang split over several nodes, as a short-lived child of the placement actor:
// the award goes to every host at once, and the gang is placed only when every one has promised
// its share. One refusal, or silence past the bid timeout, withdraws the award from all of them
// (CancelTaskRun releases a promise that never started), so a gang never keeps part of its room
// while it waits: that is what keeps two gangs from each holding half of what both need.
public sealed class GangNegotiation : ReceiveActor, IWithTimers
{
    private const string Deadline = "deadline";
    private readonly RequestPlacement _request;
    private readonly IReadOnlyList<GangHost> _hosts;
    private readonly PlacementSettings _settings;
    private readonly Guid _round = Guid.NewGuid();
    private readonly HashSet<NodeId> _accepted = new();

    public GangNegotiation(RequestPlacement request, IReadOnlyList<GangHost> hosts, PlacementSettings settings)
    {
        _request = request;
        _hosts = hosts;
        _settings = settings;
        Receive<AwardAccepted>(ok => ok.Round == _round && _hosts.Any(h => h.Slot.Node == ok.Node), ok =>
        {
            _accepted.Add(ok.Node);
            if (_accepted.Count < _hosts.Count) return;
            Timers.Cancel(Deadline);
            Context.Parent.Tell(new GangConcluded(_request, _hosts, _hosts.Count));
            Context.Stop(Self);
        });
        Receive<AwardRefused>(no => no.Round == _round, no => Withdraw($"{no.Node} refused its ranks: {no.Reason}"));
        Receive<AwardDue>(_ =>
        {
            var silent = _hosts.Where(h => !_accepted.Contains(h.Slot.Node)).Select(h => h.Slot.Node).ToList();
            Withdraw("did not confirm the award in time: " + string.Join(", ", silent), silent);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RequestPlacement request, IReadOnlyList<GangHost> hosts, PlacementSettings settings) =>
        Akka.Actor.Props.Create(() => new GangNegotiation(request, hosts, settings));

    protected override void PreStart()
    {
        foreach (var host in _hosts)
            host.Worker.Tell(new AwardTask(_request.TaskId, _request.Attempt, _round, host.Requirements, _request.Lane, _request.Hints?.Preemptible ?? false, []));
        Timers.StartSingleTimer(Deadline, AwardDue.Instance, _settings.BidTimeout);
    }

    // Every host hears it, accepted or not yet: a promise made after this message was sent still
    // comes before it at that worker (one sender, one receiver: in order), and is released.
    private void Withdraw(string why, IReadOnlyList<NodeId>? silent = null)
    {
        foreach (var host in _hosts)
            host.Worker.Tell(new CancelTaskRun(_request.TaskId, _request.Attempt, "the gang's award was withdrawn: " + why));
        Context.Parent.Tell(new NegotiationFailed(_request, $"gang of {_request.Gang?.Workers} ranks not placed: {why}", silent));
        Context.Stop(Self);
    }

    private sealed record AwardDue
    {
        public static readonly AwardDue Instance = new();
    }
}
