using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ActorGrid.Gateway.Audit;

// One inference as the audit trail keeps it. Route is the gateway's routing decision in words
// (why this node, or why none) and Offloaded whether it left the nearest tier for a higher one.
// TrainedBy is the training task whose output the version is (its lineage), empty for uploads.
// Seq, PrevHash and Hash are assigned when the record is appended to its tenant's chain; until
// then they are 0 and empty.
public sealed record AuditRecord(
    string AuditId,
    string RequestId,
    string Tenant,
    string Model,
    int ModelVersion,
    string ModelSha256,
    string Node,
    string Tier,
    string Outcome,
    int Status,
    double QueueMs,
    double ComputeMs,
    double LatencyMs,
    string InputSha256,
    string OutputSha256,
    long AtUnixMs,
    string Route = "",
    bool Offloaded = false,
    string TrainedBy = "",
    long Seq = 0,
    string PrevHash = "",
    string Hash = "")
{
    public DateTimeOffset At => DateTimeOffset.FromUnixTimeMilliseconds(AtUnixMs);
}

// The per-tenant hash chain: each record's hash covers its fields and the previous record's
// hash, so changing, removing or reordering any stored record breaks every hash after it.
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static AuditRecord Link(AuditRecord record, long seq, string prevHash)
    {
        var linked = record with { Seq = seq, PrevHash = prevHash, Hash = "" };
        return linked with { Hash = HashOf(linked) };
    }

    public static string HashOf(AuditRecord r)
    {
        var text = string.Join('\n',
            r.PrevHash, r.Tenant, r.Seq.ToString(CultureInfo.InvariantCulture), r.AuditId, r.RequestId, r.Model,
            r.ModelVersion.ToString(CultureInfo.InvariantCulture), r.ModelSha256, r.Node, r.Tier, r.Outcome,
            r.Status.ToString(CultureInfo.InvariantCulture), Num(r.QueueMs), Num(r.ComputeMs), Num(r.LatencyMs),
            r.InputSha256, r.OutputSha256, r.AtUnixMs.ToString(CultureInfo.InvariantCulture));
        // The route was added to the trail later: records without one (all those stored before)
        // hash exactly as they always did, so existing chains keep verifying; a record with a
        // route or an offload covers both, so changing or blanking either breaks the chain.
        if (r.Route.Length > 0 || r.Offloaded)
            text += "\n" + r.Route + "\n" + (r.Offloaded ? "offloaded" : "direct");
        // Likewise the training task a version came from, added later still.
        if (r.TrainedBy.Length > 0) text += "\ntrained-by " + r.TrainedBy;
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
    }

    // Verifies records of one tenant in seq order, starting right after the anchor (the last
    // pruned record, or genesis); returns the first bad seq.
    public static (bool Valid, long? FirstBrokenSeq, string? Problem) Verify(IEnumerable<AuditRecord> records, long anchorSeq = 0, string anchorHash = Genesis)
    {
        var prev = anchorHash;
        long expected = anchorSeq + 1;
        foreach (var r in records)
        {
            if (r.Seq != expected) return (false, r.Seq, $"record {expected} is missing (found {r.Seq} next)");
            if (r.PrevHash != prev) return (false, r.Seq, $"record {r.Seq} does not follow record {r.Seq - 1}");
            if (HashOf(r) != r.Hash) return (false, r.Seq, $"record {r.Seq} was altered: its hash does not match its contents");
            prev = r.Hash;
            expected++;
        }
        return (true, null, null);
    }

    // Doubles round-trip exactly through SQLite REAL and PostgreSQL double precision; "R" keeps
    // the text the same on both sides of that trip.
    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
