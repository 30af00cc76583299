using System.Globalization;
using System.Text;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Sim.Engine;
using ActorGrid.Sim.Inputs;

namespace ActorGrid.Sim.Report;

// The --placements output: one CSV row per task per policy, written as each task settles
// (finishes, is dropped, or is left over at the end), so nothing is held back but the writer's
// buffer. Rows come in settling order within a policy, policies one after another; task_index is
// the task's data row in the trace, from 0 (task id t-000000).
//
// node/tier/site/zone: where it last ran (empty if it never ran). start_s: first start; end_s:
// result back at the origin; queue_s = start_s - submit_s; jct_s = end_s - submit_s (the
// summary's definitions). sla_met: the summary's SLA hit (within sla_ms; else by deadline_s;
// else finished). cost and green_share over all its runs, evicted ones included.
// outcome: placed (finished) | unplaced (never ran, or never finished) | failed-fast (realtime
// work nothing could serve within its SLA); reason says why for the last two.
public sealed class PlacementsCsv : IDisposable
{
    public const string Header =
        "policy,task_index,submit_s,tenant,kind,lane,origin_site,node,tier,site,zone,start_s,end_s,queue_s,jct_s,sla_ms,sla_met,cost,green_share,preempted_count,deferred_until_s,outcome,reason";

    public static class Outcomes
    {
        public const string Placed = "placed";
        public const string Unplaced = "unplaced";
        public const string FailedFast = "failed-fast";
    }

    private readonly TextWriter _out;
    private readonly bool _ownsWriter;
    private readonly Dictionary<NodeId, NodeDescriptor> _nodes;
    private readonly StringBuilder _line = new();

    public PlacementsCsv(TextWriter output, IEnumerable<InventoryNode> nodes, bool ownsWriter = false)
    {
        _out = output;
        _ownsWriter = ownsWriter;
        _nodes = nodes.ToDictionary(n => n.Descriptor.Id, n => n.Descriptor);
        _out.Write(Header);
        _out.Write('\n');
    }

    // Creates (or replaces) the file; throws IOException / UnauthorizedAccessException when it cannot.
    public static PlacementsCsv Create(string path, IEnumerable<InventoryNode> nodes)
    {
        var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        return new PlacementsCsv(writer, nodes, ownsWriter: true);
    }

    public long Rows { get; private set; }

    // The engine's settled-task callback for one policy's run.
    public Action<SimTask> For(string policy) => task => Write(policy, task);

    public void Write(string policy, SimTask task)
    {
        var r = task.Row;
        var node = task.LastNode is { } id ? _nodes.GetValueOrDefault(id) : null;
        var outcome = task.FinishS is not null ? Outcomes.Placed : task.FailedFast ? Outcomes.FailedFast : Outcomes.Unplaced;
        _line.Clear();
        Field(policy).Field(task.Index.ToString(CultureInfo.InvariantCulture)).Num(r.SubmitS)
            .Field(r.Tenant).Field(r.Kind).Field(r.Lane).Field(r.OriginSite)
            .Field(task.LastNode?.Value).Field(node?.Tier).Field(node?.Site).Field(node?.Zone)
            .Num(task.FirstStartS).Num(task.FinishS)
            .Num(task.FirstStartS - task.SubmitS).Num(task.FinishS - task.SubmitS)
            .Num(r.SlaMs).Field(Simulation.MetSla(task) ? "true" : "false")
            .Num(task.Cost, CostFormat).Num(task.EnergyJ > 0 ? task.GreenEnergyJ / task.EnergyJ : null)
            .Field(task.Preemptions.ToString(CultureInfo.InvariantCulture)).Num(task.DeferredUntilS)
            .Field(outcome).Field(outcome == Outcomes.Placed ? null : task.Unplaced, last: true);
        _line.Append('\n');
        _out.Write(_line);
        Rows++;
    }

    public void Dispose()
    {
        if (_ownsWriter) _out.Dispose();
        else _out.Flush();
    }

    // Seconds to the microsecond; cost to 1e-10, since one inference frame costs well under 1e-6.
    private const string CostFormat = "0.##########";

    private PlacementsCsv Num(double? value, string format = "0.######") =>
        Field(value?.ToString(format, CultureInfo.InvariantCulture));

    // RFC 4180: quoted only when it holds a comma, a quote or a line break.
    private PlacementsCsv Field(string? value, bool last = false)
    {
        if (value is not null)
        {
            if (value.AsSpan().IndexOfAny(",\"\r\n") >= 0) _line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            else _line.Append(value);
        }
        if (!last) _line.Append(',');
        return this;
    }
}
