using System.Globalization;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// The placement policy: hard constraints first (never broken), then a score over what they leave.
// Pure and deterministic: the same demand, inventory and `now` give the same result, and nothing
// here reads a clock, touches I/O or changes the inventory. The live placement actor and the
// simulator both call Decide; reserving the chosen capacity is the caller's step.
public sealed class PlacementPolicy(PlacementOptions? options = null, Topology? topology = null) : IPlacementPolicy
{
    public PlacementOptions Options { get; } = options ?? PlacementOptions.Default;

    // Only for the foundation's seam below, which carries no topology of its own.
    private readonly Topology _topology = topology ?? Topology.Empty;

    public PlacementResult Decide(TaskDemand demand, NodeInventory inventory, DateTimeOffset now)
    {
        var ctx = new DemandContext(demand, inventory, Options, now);
        var scan = new Scan(ctx);
        scan.Run();
        return scan.Result();
    }

    // The hard constraints alone, for one node: null when it could take the task now.
    public Rejection? Check(TaskDemand demand, NodeInventory inventory, NodeId node, DateTimeOffset now)
    {
        var i = inventory.IndexOf(node);
        if (i < 0) return null;
        var ctx = new DemandContext(demand, inventory, Options, now);
        ref readonly var row = ref inventory.Row(i);
        var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out var needed, out var available);
        reason ??= ctx.CheckDynamic(row, slot, out needed, out available);
        return reason is { } r ? Scan.MakeRejection(ctx, row, r, needed, available) : null;
    }

    // When the task would be done on `node` if started there after the node's queue wait: queue
    // wait, there and back, input transfer and the run at the node's chip speed (the chip profiles
    // in Options; the expected duration as is without them). Null when the node could never take
    // it or the task has no expected duration.
    public TimeSpan? EstimateFinish(TaskDemand demand, NodeInventory inventory, NodeId node, DateTimeOffset now)
    {
        var i = inventory.IndexOf(node);
        if (i < 0 || demand.ExpectedDuration is null) return null;
        var ctx = new DemandContext(demand, inventory, Options, now);
        ref readonly var row = ref inventory.Row(i);
        var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
        return reason is null ? TimeSpan.FromMilliseconds(ctx.FinishMs(row, slot)) : null;
    }

    // The expected run time on one chip model (null: no chip), at the profiles' speed.
    public TimeSpan? EstimateRunTime(TaskDemand demand, string? chipModel) =>
        demand.ExpectedDuration is not { } d ? null
        : Options.ChipProfiles is not { } profiles ? d
        : TimeSpan.FromSeconds(profiles.RunSeconds(d.TotalSeconds, chipModel, demand.Workload ?? WorkloadClass.Analysis));

    // The foundation's seam: resources, zones and lane only, so no latency, price or green terms.
    public PlacementDecision Decide(PlacementQuery query, IReadOnlyCollection<NodeCapacity> nodes)
    {
        var inventory = NodeInventory.From(nodes.OrderBy(n => n.Descriptor.Id.Value, StringComparer.Ordinal), _topology);
        var explaining = new PlacementPolicy(Options with { ExplainEveryNode = true, ExplainedRejections = int.MaxValue }, _topology);
        return explaining.Decide(TaskDemand.From(query, DateTimeOffset.UnixEpoch), inventory, DateTimeOffset.UnixEpoch).ToDecision();
    }

    // For realtime work that nothing can take now: the node where evicting the fewest preemptible
    // batch/deferrable tasks (counted by the hosts they run on: a gang's rank stops the whole gang)
    // lets it run within its SLA. Null when no eviction would help.
    public PreemptionPlan? PlanPreemption(
        TaskDemand demand, NodeInventory inventory, Func<NodeId, IReadOnlyList<RunningTask>> runningOn, DateTimeOffset now)
    {
        if (demand.Lane != Lanes.Realtime) return null;
        var ctx = new DemandContext(demand, inventory, Options, now);
        PreemptionPlan? best = null;
        for (var i = 0; i < inventory.Count; i++)
        {
            ref readonly var row = ref inventory.Row(i);
            if (!row.Ready) continue;
            ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
            if (reason is not null) continue;
            var running = runningOn(row.Descriptor.Id);
            if (running.Count == 0) continue;
            var choice = PreemptionChooser.Choose(demand, inventory.Find(row.Descriptor.Id)!, running);
            if (choice is null || choice.Victims.Count == 0) continue;

            var slot = -1;
            var freedChips = 0;
            if (ctx.NeedsChips)
            {
                for (var c = 0; c < row.Chips.Length && slot < 0; c++)
                    if (row.Chips[c].ModelName == choice.ChipModel) slot = c;
                foreach (var v in choice.Victims)
                    if (v.Claim.ChipModel == choice.ChipModel) freedChips += v.Claim.ChipCount;
            }
            var terms = ctx.Score(row, slot,
                choice.Victims.Sum(v => v.Claim.Cpu), choice.Victims.Sum(v => v.Claim.MemoryMiB), freedChips);
            if (!terms.MeetsSla) continue;
            var plan = new PreemptionPlan(row.Descriptor.Id, choice.Victims,
                new ResourceClaim(demand.Cpu, demand.MemoryMiB, choice.ChipModel, ctx.NeedsChips ? ctx.ChipCount : 0), terms);
            if (best is null || Better(plan, best)) best = plan;
        }
        return best;

        // The fewest hosts disrupted (a gang victim counts all its hosts), then the fewest victims.
        static bool Better(PreemptionPlan a, PreemptionPlan b) =>
            RunningTask.Disrupted(a.Victims) != RunningTask.Disrupted(b.Victims) ? RunningTask.Disrupted(a.Victims) < RunningTask.Disrupted(b.Victims)
            : a.Victims.Count != b.Victims.Count ? a.Victims.Count < b.Victims.Count
            : a.Terms.Total != b.Terms.Total ? a.Terms.Total < b.Terms.Total
            : string.CompareOrdinal(a.Node.Value, b.Node.Value) < 0;
    }

    // For batch or deferrable work told its duration that no node can take now, under the service
    // queue discipline: the node where evicting running work it outranks lets it run (the
    // simulator's rule, ServicePreemption: a victim with over SrfRatio times its remaining service,
    // run at least `minRunS` this run, evicted fewer than MaxPreemptions times), scored as a
    // placement there. Null when no eviction helps.
    public PreemptionPlan? PlanServicePreemption(
        TaskDemand demand, NodeInventory inventory, IReadOnlyList<RunningService> running, DateTimeOffset now, double minRunS = ServicePreemption.MinRunS)
    {
        if (demand.Lane is not (Lanes.Batch or Lanes.Deferrable) || demand.ExpectedDuration is null || running.Count == 0) return null;
        var victims = ServicePreemption.Victims(Options, inventory, [demand], running, new ServiceQueueComparer(now, _ => 0), now, minRunS: minRunS);
        if (victims.Count == 0) return null;
        var node = victims[0].Node;
        var ctx = new DemandContext(demand, inventory, Options, now);
        for (var i = 0; i < inventory.Count; i++)
        {
            ref readonly var row = ref inventory.Row(i);
            if (row.Descriptor.Id != node) continue;
            var slot = ctx.CheckStatic(row, zoneChecked: false, out _, out _, out _);
            string? chipModel = null;
            var freedChips = 0;
            if (ctx.NeedsChips)
            {
                // The chip set that holds the demand once the victims' chips are back (Victims
                // found one does).
                slot = -1;
                for (var c = 0; c < row.Chips.Length && chipModel is null; c++)
                {
                    var chip = row.Chips[c];
                    if (!(demand.Chips!.IsAnyModel || chip.ModelName == demand.Chips.Model) || chip.MemoryMiB < demand.Chips.MinMemoryMiB) continue;
                    var freed = victims.Where(v => v.Claim.ChipModel == chip.ModelName).Sum(v => v.Claim.ChipCount);
                    if (chip.Free + freed >= ctx.ChipCount) (chipModel, freedChips, slot) = (chip.ModelName, freed, c);
                }
                if (slot < 0) return null;
            }
            var terms = ctx.Score(row, slot, victims.Sum(v => v.Claim.Cpu), victims.Sum(v => v.Claim.MemoryMiB), freedChips);
            var evicted = victims.Select(v => new RunningTask(v.Demand.TaskId, v.Demand.Lane, v.Demand.Preemptible, v.Claim, now - TimeSpan.FromSeconds(v.RunS))).ToList();
            return new PreemptionPlan(node, evicted, new ResourceClaim(demand.Cpu, demand.MemoryMiB, chipModel, ctx.NeedsChips ? ctx.ChipCount : 0), terms);
        }
        return null;
    }

    // One pass over the nodes a demand could use. Keeps the K best candidates and a few
    // explained rejections in small fixed buffers; everything else is counted, not stored.
    private sealed class Scan
    {
        private readonly DemandContext _ctx;
        private readonly int[] _counts = new int[Enum.GetValues<RejectReason>().Length];
        private readonly int _k;
        private readonly int[] _topRow;
        private readonly int[] _topSlot;
        private readonly ScoreTerms[] _topTerms;
        private int _topCount;
        private readonly List<(Rejection Rejection, double Key)> _rejections = [];
        private readonly int _maxRejections;
        private int _feasible;
        private int _couldFitLater;
        // The distinct green profiles among the nodes that could ever take a deferrable task
        // (busy ones included: they may be free by the window).
        private readonly HashSet<double[]>? _greenProfiles;
        private double[]? _lastGreen;
        // The busy node where the task would finish soonest once it frees (finish-time-aware work).
        private int _waitRow = -1;
        private double _waitFinishMs = double.PositiveInfinity;

        public Scan(DemandContext ctx)
        {
            _ctx = ctx;
            _k = Math.Max(1, ctx.Options.ShortlistSize);
            _topRow = new int[_k];
            _topSlot = new int[_k];
            _topTerms = new ScoreTerms[_k];
            _maxRejections = Math.Max(0, ctx.Options.ExplainedRejections);
            if (WantsGreenWindow(ctx)) _greenProfiles = new HashSet<double[]>(ProfileComparer.Instance);
        }

        private static bool WantsGreenWindow(DemandContext ctx) =>
            ctx.Options.PlanGreenWindows && ctx.Demand.Lane == Lanes.Deferrable
            && ctx.Demand.Deadline is not null && ctx.Demand.ExpectedDuration is not null;

        public void Run()
        {
            var inv = _ctx.Inventory;
            var total = inv.Count;
            if (_ctx.Options.ExplainEveryNode)
            {
                for (var i = 0; i < total; i++) Visit(i, zoneChecked: false);
                return;
            }

            // Walk the smallest index that covers every node the demand could use; nodes outside
            // it fail the index's constraint and are counted wholesale.
            var zoneRows = -1;
            if (_ctx.AllowedZones is { } zones)
            {
                zoneRows = 0;
                foreach (var z in zones) zoneRows += inv.ZoneRows(z).Count;
            }
            List<int>? chipRows = null;
            if (_ctx.NeedsChips)
                chipRows = _ctx.AnyChip ? inv.RowsWithChips : _ctx.ChipModel >= 0 ? inv.ChipRows(_ctx.ChipModel) : [];

            if (zoneRows >= 0 && (chipRows is null || zoneRows <= chipRows.Count))
            {
                _counts[(int)RejectReason.ZoneNotAllowed] += total - zoneRows;
                foreach (var z in _ctx.AllowedZones!)
                    foreach (var i in inv.ZoneRows(z)) Visit(i, zoneChecked: true);
            }
            else if (chipRows is not null)
            {
                _counts[(int)RejectReason.NoSuchChip] += total - chipRows.Count;
                foreach (var i in chipRows) Visit(i, zoneChecked: false);
            }
            else
            {
                for (var i = 0; i < total; i++) Visit(i, zoneChecked: false);
            }
        }

        private void Visit(int i, bool zoneChecked)
        {
            ref readonly var row = ref _ctx.Inventory.Row(i);
            var slot = _ctx.CheckStatic(row, zoneChecked, out var reason, out var needed, out var available);
            if (reason is { } staticReason)
            {
                Reject(row, staticReason, needed, available);
                return;
            }
            if (_greenProfiles is not null && row.Green is { } green && !ReferenceEquals(green, _lastGreen))
            {
                _lastGreen = green;
                _greenProfiles.Add(green);
            }
            if (_ctx.CheckDynamic(row, slot, out needed, out available) is { } dynamicReason)
            {
                _couldFitLater++;
                if (_ctx.FinishTimeAware && dynamicReason != RejectReason.NotReady && row.QueueWaitMs > 0 && _ctx.Options.MinWaitGain > 0)
                {
                    var finish = _ctx.FinishMs(row, slot);
                    if (finish < _waitFinishMs) (_waitFinishMs, _waitRow) = (finish, i);
                }
                Reject(row, dynamicReason, needed, available);
                return;
            }
            _feasible++;
            Offer(i, slot, _ctx.Score(row, slot));
        }

        private void Reject(in NodeRow row, RejectReason reason, double needed, double available)
        {
            _counts[(int)reason]++;
            if (_maxRejections == 0) return;
            // Keep the nodes that came closest: busy before unfit, then by tier distance from the
            // origin (cheap to compute for every node, unlike a topology lookup).
            var key = (reason < RejectReason.NotReady ? 100 : 0) + _ctx.TierSteps(row);
            // Ties go by node id, not scan order, so the explanation does not depend on the order
            // nodes entered the inventory.
            if (_rejections.Count >= _maxRejections && !Before(key, row.Descriptor.Id, _rejections[^1])) return;
            var rejection = MakeRejection(_ctx, row, reason, needed, available);
            var at = _rejections.Count;
            while (at > 0 && Before(key, rejection.Node, _rejections[at - 1])) at--;
            _rejections.Insert(at, (rejection, key));
            if (_rejections.Count > _maxRejections) _rejections.RemoveAt(_rejections.Count - 1);

            static bool Before(double key, NodeId node, (Rejection Rejection, double Key) other) =>
                key < other.Key || (key == other.Key && string.CompareOrdinal(node.Value, other.Rejection.Node.Value) < 0);
        }

        internal static Rejection MakeRejection(DemandContext ctx, in NodeRow row, RejectReason reason, double needed, double available)
        {
            var detail = reason switch
            {
                RejectReason.ZoneNotAllowed => row.Descriptor.Zone,
                RejectReason.NotReady => row.State,
                RejectReason.NoSuchChip or RejectReason.TooFewChips or RejectReason.ChipsBusy => ctx.Demand.Chips?.Model ?? "GPU",
                _ => null,
            };
            if (reason == RejectReason.ChipsBusy) detail = (ctx.Demand.Chips?.Model ?? "GPU") + " chips";
            return new Rejection(row.Descriptor.Id, reason, needed, available, detail);
        }

        private void Offer(int row, int slot, in ScoreTerms terms)
        {
            if (_topCount == _k && !Better(terms, row, _topTerms[_k - 1], _topRow[_k - 1])) return;
            var at = Math.Min(_topCount, _k - 1);
            while (at > 0 && Better(terms, row, _topTerms[at - 1], _topRow[at - 1]))
            {
                _topTerms[at] = _topTerms[at - 1];
                _topRow[at] = _topRow[at - 1];
                _topSlot[at] = _topSlot[at - 1];
                at--;
            }
            _topTerms[at] = terms;
            _topRow[at] = row;
            _topSlot[at] = slot;
            if (_topCount < _k) _topCount++;
        }

        // Meeting the SLA beats any score; for deferrable work, then the greener run (in whole
        // percent, so near-equal nodes still go by score); then the lower total; then the node id,
        // for determinism.
        private bool Better(in ScoreTerms a, int rowA, in ScoreTerms b, int rowB)
        {
            if (a.MeetsSla != b.MeetsSla) return a.MeetsSla;
            if (_ctx.GreenFirst)
            {
                var ga = Math.Round(a.GreenShare * 100);
                var gb = Math.Round(b.GreenShare * 100);
                if (ga != gb) return ga > gb;
            }
            var ta = a.Total;
            var tb = b.Total;
            if (ta != tb) return ta < tb;
            return string.CompareOrdinal(_ctx.Inventory.Row(rowA).Descriptor.Id.Value, _ctx.Inventory.Row(rowB).Descriptor.Id.Value) < 0;
        }

        public PlacementResult Result()
        {
            var demand = _ctx.Demand;
            var counts = new Dictionary<RejectReason, int>();
            for (var r = 0; r < _counts.Length; r++)
                if (_counts[r] > 0) counts[(RejectReason)r] = _counts[r];
            var rejections = _rejections.Select(r => r.Rejection).ToArray();
            var nodes = _ctx.Inventory.Count;
            var realtime = demand.Lane == Lanes.Realtime;

            if (_feasible == 0)
            {
                if (nodes == 0)
                    return Make(realtime ? PlacementOutcome.FailFast : PlacementOutcome.Queued, [], "no worker node has joined the grid yet");
                if (_couldFitLater == 0)
                    return Make(PlacementOutcome.Rejected, [], $"no node in view could ever run it ({Summary(counts)})");
                return Make(realtime ? PlacementOutcome.FailFast : PlacementOutcome.Queued, [],
                    $"no node has room now ({Summary(counts)})");
            }

            var shortlist = Shortlist(meetingOnly: _topTerms[0].MeetsSla);
            if (!_topTerms[0].MeetsSla)
            {
                var best = shortlist[0];
                var budget = _ctx.SlaBudgetMs ?? 0;
                var why = string.Create(CultureInfo.InvariantCulture,
                    $"no node meets the {demand.LatencySlaMs:0.#} ms SLA: the best, {best.Node} ({best.Tier}), would answer in {best.Terms.ResponseMs:0.#} ms with {budget:0.#} ms left");
                if (realtime) return Make(PlacementOutcome.FailFast, shortlist, why);
                if (budget > 0) return Make(PlacementOutcome.Queued, shortlist, why + "; waiting for capacity nearer the origin");
                return Make(PlacementOutcome.Placed, shortlist, "its SLA was already missed while it waited; placed where it answers soonest", best);
            }

            var chosen = shortlist[0];
            // Waiting for a faster node is bounded like renting skis: a task that has already
            // waited as long as it would take on the best free node stops waiting and starts there,
            // so a wrong free-up estimate (guessed durations) costs at most twice the best choice.
            var waitedMs = Math.Max(0, (_ctx.Now - demand.SubmittedAt).TotalMilliseconds);
            if (_waitRow >= 0 && _waitFinishMs < chosen.Terms.ResponseMs * (1 - _ctx.Options.MinWaitGain) && waitedMs < chosen.Terms.ResponseMs)
            {
                ref readonly var waitRow = ref _ctx.Inventory.Row(_waitRow);
                var faster = waitRow.Descriptor;
                // NotBefore: when the node is expected to free or the wait runs out, whichever is
                // first: the time to look again (the estimate can be wrong when durations are
                // guessed, and must not strand the task while slower chips stand free).
                return Make(PlacementOutcome.Queued, shortlist, string.Create(CultureInfo.InvariantCulture,
                    $"waiting for {faster.Id} ({faster.Tier}): done in {_waitFinishMs / 3_600_000:0.##} h once it frees, against {chosen.Terms.ResponseMs / 3_600_000:0.##} h on {chosen.Node} now"),
                    notBefore: _ctx.Now + TimeSpan.FromMilliseconds(Math.Min(waitRow.QueueWaitMs, chosen.Terms.ResponseMs - waitedMs)));
            }
            if (_greenProfiles is { Count: > 0 })
            {
                // Measured against what the task would get now on the node it would run on, which
                // may be browner than the greenest node when that one is busy.
                var options = _ctx.Options;
                var window = GreenWindowPlanner.Plan(_greenProfiles.ToArray(), _ctx.Now, demand.ExpectedDuration!.Value, demand.Deadline!.Value,
                    options.GreenDeadlineMargin, options.GreenWindowTolerance, GreenWindowPlanner.SpreadKey(demand.TaskId.Value));
                var greenNow = chosen.Terms.GreenShare;
                if (window.Start > _ctx.Now && window.GreenShare - greenNow >= options.MinGreenGain)
                    return Make(PlacementOutcome.Deferred, shortlist,
                        string.Create(CultureInfo.InvariantCulture,
                            $"waiting for greener supply: {window.GreenShare:P0} green over its run from {window.Start:yyyy-MM-dd HH:mm} against {greenNow:P0} now on {chosen.Node}, still done {options.GreenDeadlineMargin.TotalMinutes:0} min before the deadline {demand.Deadline:yyyy-MM-dd HH:mm}"),
                        notBefore: window.Start);
            }
            return Make(PlacementOutcome.Placed, shortlist, PlacedReason(chosen), chosen);

            PlacementResult Make(PlacementOutcome outcome, IReadOnlyList<ScoredCandidate> list, string reason, ScoredCandidate? chosenOne = null, DateTimeOffset? notBefore = null) =>
                new(outcome, chosenOne, list, reason, rejections, counts, nodes, notBefore);
        }

        private string PlacedReason(ScoredCandidate chosen)
        {
            var t = chosen.Terms;
            var what = _ctx.HasOrigin
                ? t.TierSteps == 0 ? $"{chosen.Tier} tier at the origin's level" : $"offloaded {t.TierSteps} tier(s) from the origin to {chosen.Tier}"
                : $"{chosen.Tier} tier";
            var sla = t.SlaBudgetMs is { } b ? string.Create(CultureInfo.InvariantCulture, $", answers in {t.ResponseMs:0.#} ms of {b:0.#} ms") : "";
            return $"best of {_feasible} feasible node(s): {what}{sla}, {t.PricePerHour.ToString("0.###", CultureInfo.InvariantCulture)}/h";
        }

        // Green profiles compared by content: every node row holds its own copy.
        private sealed class ProfileComparer : IEqualityComparer<double[]>
        {
            public static readonly ProfileComparer Instance = new();

            public bool Equals(double[]? x, double[]? y) =>
                ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

            public int GetHashCode(double[] profile)
            {
                var hash = new HashCode();
                foreach (var share in profile) hash.Add(share);
                return hash.ToHashCode();
            }
        }

        private ScoredCandidate[] Shortlist(bool meetingOnly)
        {
            var n = 0;
            while (n < _topCount && (!meetingOnly || _topTerms[n].MeetsSla)) n++;
            var list = new ScoredCandidate[n];
            for (var j = 0; j < n; j++)
            {
                ref readonly var row = ref _ctx.Inventory.Row(_topRow[j]);
                var d = row.Descriptor;
                list[j] = new ScoredCandidate(d.Id, d.Tier, d.Site, d.Zone, _ctx.Claim(row, _topSlot[j]), _topTerms[j]);
            }
            return list;
        }

        private static string Summary(Dictionary<RejectReason, int> counts) =>
            counts.Count == 0 ? "no nodes" : string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{Words(c.Key)}: {c.Value}"));

        private static string Words(RejectReason reason) => reason switch
        {
            RejectReason.ZoneNotAllowed => "zone not allowed",
            RejectReason.NoSuchChip => "no such chip",
            RejectReason.ChipMemoryTooSmall => "chip memory too small",
            RejectReason.TooFewChips => "too few chips",
            RejectReason.TooFewCores => "too few cores",
            RejectReason.TooLittleMemory => "too little memory",
            RejectReason.OverMaxPrice => "over max price",
            RejectReason.NotReady => "not ready",
            RejectReason.ChipsBusy => "chips busy",
            RejectReason.CoresBusy => "cores busy",
            RejectReason.MemoryBusy => "memory busy",
            _ => reason.ToString(),
        };
    }
}
