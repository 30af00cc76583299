using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Workers;
using ActorGrid.Worker;
using Akka.Actor;

namespace ActorGrid.Runtime.Tests.Placement;

// A worker that bids and honours awards with the real WorkerLedger, without running processes.
// Everything it receives is also forwarded to a probe so tests can see the conversation.
public sealed class LedgerWorker : ReceiveActor
{
    public LedgerWorker(NodeDescriptor node, IActorRef probe, bool silent, bool dieAfterBid = false)
    {
        var ledger = new WorkerLedger(node);
        Receive<Fill>(f => ledger.Start(f.TaskId, 1, f.Requirements, f.Lane, f.Preemptible, DateTimeOffset.UtcNow));
        Receive<CallForBids>(cfp =>
        {
            probe.Forward(cfp);
            if (silent) return;
            var evicting = ledger.Evictable(cfp.Preemptible, cfp.Lane);
            var whyNot = ledger.WhyNot(cfp.Requirements, evicting);
            Sender.Tell(whyNot is null
                ? new BidSubmitted(cfp.TaskId, cfp.Attempt, cfp.Round, node.Id, 0, 0, 0, 0, 0)
                : new BidDeclined(cfp.TaskId, cfp.Attempt, cfp.Round, node.Id, whyNot));
            if (dieAfterBid) Context.Stop(Self); // its host went away between bid and award
        });
        Receive<AwardTask>(award =>
        {
            probe.Forward(award);
            if (silent) return; // its host is gone: nothing it is told is answered
            var evicting = ledger.Evictable(award.Preempt, award.Lane);
            var whyNot = ledger.WhyNot(award.Requirements, evicting);
            if (whyNot is not null)
            {
                Sender.Tell(new AwardRefused(award.TaskId, award.Attempt, award.Round, node.Id, whyNot));
                return;
            }
            foreach (var victim in evicting) ledger.Release(victim);
            ledger.Start(award.TaskId, award.Attempt, award.Requirements, award.Lane, award.Preemptible, DateTimeOffset.UtcNow);
            Sender.Tell(new AwardAccepted(award.TaskId, award.Attempt, award.Round, node.Id));
        });
        Receive<CancelTaskRun>(cancel =>
        {
            probe.Forward(cancel);
            ledger.Release(cancel.TaskId);
        });
        Receive<Release>(r => ledger.Release(r.TaskId));
    }

    public static Props Props(NodeDescriptor node, IActorRef probe, bool silent = false, bool dieAfterBid = false) =>
        Akka.Actor.Props.Create(() => new LedgerWorker(node, probe, silent, dieAfterBid));

    // Test controls: occupy room without placement knowing; free it as a finished run would.
    public sealed record Fill(Protocol.TaskId TaskId, Protocol.Tasks.ResourceRequirements Requirements, string Lane = Protocol.Tasks.Lanes.Batch, bool Preemptible = false);

    public sealed record Release(Protocol.TaskId TaskId);
}
