using Akka.Cluster;
using Akka.Configuration;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record SplitBrainResponse(
    string DowningProvider, string? ActiveStrategy, string? StableAfter, string? DownAllWhenUnstable, string? Role,
    IReadOnlyDictionary<string, string> StrategySettings,
    string Self, string? Leader, int Members, int Reachable, IReadOnlyList<string> Unreachable,
    bool? HasMajority, string Decision);

// `cluster sbr`: the configured split-brain resolver and what it would decide from this side of
// the cluster right now. The decision mirrors the strategies' documented rules; it is a reading
// for operators, not the resolver's own state (Akka does not expose that).
public static class SplitBrainReport
{
    private const string Path = "akka.cluster.split-brain-resolver";

    public static SplitBrainResponse Of(Cluster cluster)
    {
        var config = cluster.System.Settings.Config;
        var provider = config.GetString("akka.cluster.downing-provider-class", "");
        var sbr = config.HasPath(Path) ? config.GetConfig(Path) : ConfigurationFactory.Empty;
        var strategy = sbr.GetString("active-strategy", null);
        var strategyConfig = strategy is not null && sbr.HasPath(strategy) ? sbr.GetConfig(strategy) : ConfigurationFactory.Empty;
        var settings = strategyConfig.AsEnumerable().ToDictionary(pair => pair.Key, pair => pair.Value.ToString() ?? "");
        var role = settings.TryGetValue("role", out var r) && r.Length > 0 ? r : null;

        var state = cluster.State;
        var counted = state.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Joining or MemberStatus.WeaklyUp)
            .Where(m => role is null || m.HasRole(role))
            .ToList();
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var reachable = counted.Where(m => !unreachable.Contains(m.Address)).ToList();
        var lost = counted.Count - reachable.Count;

        var (majority, decision) = Decide(strategy, settings, counted, reachable, lost);
        return new SplitBrainResponse(
            provider.Length > 0 ? provider : "(none: members are only downed by hand)",
            strategy, sbr.GetString("stable-after", null), sbr.GetString("down-all-when-unstable", null), role, settings,
            cluster.SelfAddress.ToString(), state.Leader?.ToString(), counted.Count, reachable.Count,
            [.. state.Unreachable.Select(m => m.Address.ToString()).Order()], majority, decision);
    }

    private static (bool? Majority, string Decision) Decide(
        string? strategy, IReadOnlyDictionary<string, string> settings, IReadOnlyList<Member> counted, IReadOnlyList<Member> reachable, int lost)
    {
        if (strategy is null) return (null, "No split-brain resolver strategy is configured.");
        if (lost == 0) return (true, "Stable: every member is reachable, nothing to decide.");
        switch (strategy)
        {
            case "keep-majority":
            {
                // On an even split, the side with the lowest address survives.
                var lowest = counted.OrderBy(m => m.Address, Member.AddressOrdering).FirstOrDefault();
                var keeps = reachable.Count * 2 > counted.Count
                    || (reachable.Count * 2 == counted.Count && lowest is not null && reachable.Contains(lowest));
                return (keeps, keeps
                    ? $"This side keeps the majority ({reachable.Count} of {counted.Count}): the {lost} unreachable member(s) will be downed once reachability is stable."
                    : $"This side is the minority ({reachable.Count} of {counted.Count}): it will down itself once reachability is stable.");
            }
            case "static-quorum":
            {
                var quorum = int.TryParse(settings.GetValueOrDefault("quorum-size"), out var q) ? q : 0;
                var keeps = reachable.Count >= quorum;
                return (keeps, keeps
                    ? $"This side has the quorum ({reachable.Count} ≥ {quorum}): unreachable members will be downed."
                    : $"This side lacks the quorum ({reachable.Count} < {quorum}): it will down itself.");
            }
            case "keep-oldest":
            {
                var oldest = counted.OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
                var keeps = oldest is not null && reachable.Contains(oldest);
                return (keeps, keeps
                    ? $"The oldest member ({oldest!.Address}) is on this side: unreachable members will be downed."
                    : "The oldest member is unreachable from here: this side will down itself.");
            }
            case "down-all":
                return (false, "down-all: every member will be downed once reachability is stable.");
            default:
                return (null, $"Strategy '{strategy}' decides outside this report (e.g. by lease); {lost} member(s) are unreachable.");
        }
    }
}
