using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using Akka.Actor;

namespace ActorGrid.Core.Placement;

// One round of the contract net for one attempt, as a short-lived child of the placement actor:
// call for bids from the shortlist, wait for every answer or the bid timeout, then award the
// best bid; if that worker refuses (its room went to someone else meanwhile) or does not answer,
// award the next. Reports the winner, with the explanation, or why nobody took the task.
public sealed class PlacementNegotiation : ReceiveActor, IWithTimers
{
    private const string Deadline = "deadline";
    private readonly RequestPlacement _request;
    private readonly IReadOnlyList<Candidate> _shortlist;
    private readonly IReadOnlyList<CandidateExplanation> _rejected;
    private readonly PlacementSettings _settings;
    private readonly Guid _round = Guid.NewGuid();
    private readonly Dictionary<NodeId, BidSubmitted> _bids = new();
    private readonly Dictionary<NodeId, string> _declines = new();
    private Queue<Candidate> _awardOrder = new();
    private Candidate? _awarded;

    public PlacementNegotiation(RequestPlacement request, IReadOnlyList<Candidate> shortlist, IReadOnlyList<CandidateExplanation> rejected, PlacementSettings settings)
    {
        _request = request;
        _shortlist = shortlist;
        _rejected = rejected;
        _settings = settings;
        Become(Collecting);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(RequestPlacement request, IReadOnlyList<Candidate> shortlist, IReadOnlyList<CandidateExplanation> rejected, PlacementSettings settings) =>
        Akka.Actor.Props.Create(() => new PlacementNegotiation(request, shortlist, rejected, settings));

    protected override void PreStart()
    {
        foreach (var candidate in _shortlist)
            candidate.Worker.Tell(new CallForBids(_request.TaskId, _request.Attempt, _round, candidate.Requirements, _request.Lane, candidate.Preempt));
        Timers.StartSingleTimer(Deadline, BidsDue.Instance, _settings.BidTimeout);
    }

    private void Collecting()
    {
        Receive<BidSubmitted>(bid => bid.Round == _round, bid =>
        {
            _bids[bid.Node] = bid;
            if (_bids.Count + _declines.Count == _shortlist.Count) StartAwarding();
        });
        Receive<BidDeclined>(no => no.Round == _round, no =>
        {
            _declines[no.Node] = no.Reason;
            if (_bids.Count + _declines.Count == _shortlist.Count) StartAwarding();
        });
        Receive<BidsDue>(_ => StartAwarding());
    }

    private void Awarding()
    {
        Receive<AwardAccepted>(ok => ok.Round == _round && ok.Node == _awarded?.Node, _ => Conclude());
        Receive<AwardRefused>(no => no.Round == _round && no.Node == _awarded?.Node, no =>
        {
            _declines[no.Node] = "refused the award: " + no.Reason;
            AwardNext();
        });
        Receive<AwardDue>(_ =>
        {
            _declines[_awarded!.Node] = "did not confirm the award in time";
            AwardNext();
        });
        // Late bids from a round we already closed are ignored.
        Receive<BidSubmitted>(_ => { });
        Receive<BidDeclined>(_ => { });
    }

    // The policy's score orders the bids; a bid that must first evict work starts a little later,
    // which the policy already charged for, so the score alone decides.
    private void StartAwarding()
    {
        Timers.Cancel(Deadline);
        foreach (var candidate in _shortlist.Where(c => !_bids.ContainsKey(c.Node) && !_declines.ContainsKey(c.Node)))
            _declines[candidate.Node] = "did not bid in time";
        _awardOrder = new Queue<Candidate>(_shortlist.Where(c => _bids.ContainsKey(c.Node)).OrderByDescending(c => c.Score).ThenBy(c => c.Node.Value, StringComparer.Ordinal));
        Become(Awarding);
        AwardNext();
    }

    private void AwardNext()
    {
        if (!_awardOrder.TryDequeue(out var next))
        {
            Context.Parent.Tell(new NegotiationFailed(_request, Summary()));
            Context.Stop(Self);
            return;
        }
        _awarded = next;
        next.Worker.Tell(new AwardTask(_request.TaskId, _request.Attempt, _round, next.Requirements, _request.Lane,
            _request.Hints?.Preemptible ?? false, next.Preempt));
        Timers.StartSingleTimer(Deadline, AwardDue.Instance, _settings.BidTimeout);
    }

    private void Conclude()
    {
        Timers.Cancel(Deadline);
        var winner = _awarded!;
        var others = _shortlist.Where(c => c.Node != winner.Node)
            .Select(c => new CandidateExplanation(c.Node, _declines.GetValueOrDefault(c.Node) ?? $"lower score {c.Score:0.###} < {winner.Score:0.###}", c.Terms))
            .Concat(_rejected)
            .Take(_settings.ExplainTop)
            .ToList();
        var explanation = new PlacementExplanation(winner.Node, winner.Score, winner.Terms, others, _shortlist.Count, _bids.Count, winner.Preempt,
            _bids.TryGetValue(winner.Node, out var bid) ? bid.PricePerHour : 0);
        Context.Parent.Tell(new NegotiationConcluded(_request, winner, explanation));
        Context.Stop(Self);
    }

    private string Summary() =>
        _shortlist.Count == 0 ? "no candidates" :
        "no worker took it: " + string.Join("; ", _declines.Select(d => $"{d.Key}: {d.Value}"));

    private sealed record BidsDue
    {
        public static readonly BidsDue Instance = new();
    }

    private sealed record AwardDue
    {
        public static readonly AwardDue Instance = new();
    }
}
