using System.Text;

namespace ActorGrid.Hosting.Membership;

// The members this host last saw, kept in <data>/known-peers and added after the --seeds when
// the host starts again. It is what lets the only seed host rejoin the cluster its workers kept
// going instead of founding an island of one: the seed asks its remembered peers first
// (Akka's first-seed process sends InitJoin to every other seed) and joins themselves alone only
// when none of them answers within seed-node-timeout.
public static class KnownPeers
{
    public const string FileName = "known-peers";

    public static IReadOnlyList<string> Read(string dataDirectory, string protocol)
    {
        var file = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(file)) return [];
        return [.. File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.StartsWith(protocol + "://", StringComparison.Ordinal)).Distinct()];
    }

    // The seeds as given first (their order decides which host may found a cluster), then the
    // remembered peers that are not seeds already.
    public static IReadOnlyList<string> AfterSeeds(IReadOnlyList<string> seeds, IEnumerable<string> remembered) =>
        [.. seeds, .. remembered.Except(seeds)];

    // Written to a temporary file and moved over the old one: a crash mid-write leaves the
    // previous list, never half of one.
    public static async Task WriteAsync(string dataDirectory, IReadOnlyCollection<string> addresses)
    {
        var file = Path.Combine(dataDirectory, FileName);
        var temporary = file + ".tmp";
        var text = new StringBuilder("# cluster members this host last saw; tried after --seeds on the next start\n");
        foreach (var address in addresses.Order(StringComparer.Ordinal)) text.Append(address).Append('\n');
        await File.WriteAllTextAsync(temporary, text.ToString());
        File.Move(temporary, file, overwrite: true);
    }
}
