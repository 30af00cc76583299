namespace ActorGrid.Placement;

// Start: when to run. GreenShare: the average green share of the run from Start on the greenest
// profile. GreenShareNow: the same for a run starting now.
public readonly record struct GreenWindow(DateTimeOffset Start, double GreenShare, double GreenShareNow);

// When deferrable work should start: now, or at a coming hour boundary, whichever gives its whole
// run (not just its first hour) the highest average green share on the greenest profile it could
// use, and still leaves `margin` before the deadline for queueing at the window. Profiles are
// indexed by the hour of day of the DateTimeOffsets given (their offset decides whose "hour 0" it is).
public static class GreenWindowPlanner
{
    private const double Epsilon = 1e-12;

    // One profile, no margin, no tolerance: the earliest start with the greenest run.
    public static GreenWindow Plan(IReadOnlyList<double> profile, DateTimeOffset now, TimeSpan duration, DateTimeOffset deadline)
    {
        if (profile.Count != 24) throw new ArgumentException("a green profile has 24 hourly shares", nameof(profile));
        return Plan([profile], now, duration, deadline, TimeSpan.Zero, 0, 0);
    }

    // Several profiles (one per distinct profile among the nodes the task could use): a start's
    // share is the best any one of them gives the whole run, since one run stays on one node.
    //
    // Starts whose share is within `tolerance` of the best are all good enough. When now is one of
    // them the task runs now: waiting would buy (almost) nothing, and a task woken at its window
    // always finds itself there, so it never wanders from window to window. Otherwise `spread`
    // (a stable hash of the task) picks one of them, so that tasks deferred together spread over the
    // green plateau instead of all waking at its first hour and queueing for the same nodes.
    public static GreenWindow Plan(
        IReadOnlyList<IReadOnlyList<double>> profiles, DateTimeOffset now, TimeSpan duration, DateTimeOffset deadline,
        TimeSpan margin, double tolerance, ulong spread)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        foreach (var p in profiles)
            if (p.Count != 24) throw new ArgumentException("a green profile has 24 hourly shares", nameof(profiles));
        if (margin < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(margin), "the deadline margin cannot be negative");
        if (tolerance < 0 || double.IsNaN(tolerance)) throw new ArgumentOutOfRangeException(nameof(tolerance), "the window tolerance cannot be negative");
        if (profiles.Count == 0) return new GreenWindow(now, 0, 0);

        Span<double> weights = stackalloc double[24];
        var shareNow = Best(profiles, now, duration, weights);

        // The profile repeats daily, so a start a whole day later is never greener.
        var latestStart = deadline - duration - margin;
        Span<double> shares = stackalloc double[24];
        var first = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, now.Offset).AddHours(1);
        var count = 0;
        var best = shareNow;
        for (var start = first; count < 24 && start <= latestStart; start = start.AddHours(1))
        {
            shares[count] = Best(profiles, start, duration, weights);
            best = Math.Max(best, shares[count]);
            count++;
        }
        if (shareNow >= best - tolerance - Epsilon) return new GreenWindow(now, shareNow, shareNow);

        var good = 0;
        for (var i = 0; i < count; i++)
            if (shares[i] >= best - tolerance - Epsilon) good++;
        var pick = (int)(spread % (ulong)good);
        for (var i = 0; i < count; i++)
        {
            if (shares[i] < best - tolerance - Epsilon) continue;
            if (pick-- == 0) return new GreenWindow(first.AddHours(i), shares[i], shareNow);
        }
        throw new InvalidOperationException("unreachable: a best start always exists");
    }

    // Time-weighted average share over [start, start + duration); the start hour's share when the
    // duration is zero.
    public static double AverageShare(IReadOnlyList<double> profile, DateTimeOffset start, TimeSpan duration)
    {
        Span<double> weights = stackalloc double[24];
        HourWeights(start, duration, weights);
        return Dot(profile, weights);
    }

    // The share of [start, start + duration) that falls in each hour of the day (summing to 1), so
    // that a profile's average over the run is one dot product, whatever the run's length.
    public static void HourWeights(DateTimeOffset start, TimeSpan duration, Span<double> weights)
    {
        if (weights.Length != 24) throw new ArgumentException("one weight per hour of the day", nameof(weights));
        weights.Clear();
        if (duration <= TimeSpan.Zero)
        {
            weights[start.Hour] = 1;
            return;
        }
        var seconds = duration.TotalSeconds;
        // Whole days weigh every hour alike; only the remainder needs walking hour by hour.
        var days = Math.Floor(duration.TotalDays);
        if (days > 0) weights.Fill(days * 3600);
        var at = start;
        var end = start + (duration - TimeSpan.FromDays(days));
        while (at < end)
        {
            var hourEnd = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, at.Offset).AddHours(1);
            var until = hourEnd < end ? hourEnd : end;
            weights[at.Hour] += (until - at).TotalSeconds;
            at = until;
        }
        for (var h = 0; h < 24; h++) weights[h] /= seconds;
    }

    public static double Dot(IReadOnlyList<double> profile, ReadOnlySpan<double> weights)
    {
        double sum = 0;
        for (var h = 0; h < 24; h++) sum += profile[h] * weights[h];
        return sum;
    }

    private static double Best(IReadOnlyList<IReadOnlyList<double>> profiles, DateTimeOffset start, TimeSpan duration, Span<double> weights)
    {
        HourWeights(start, duration, weights);
        var best = double.NegativeInfinity;
        foreach (var p in profiles) best = Math.Max(best, Dot(p, weights));
        return best;
    }

    // A hash of a task id that is the same in every process (string.GetHashCode is not), so the
    // live grid and the simulator spread the same task to the same window. FNV-1a, 64 bits.
    public static ulong SpreadKey(string taskId)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in taskId)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
