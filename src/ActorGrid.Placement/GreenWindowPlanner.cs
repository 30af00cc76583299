namespace ActorGrid.Placement;

public readonly record struct GreenWindow(DateTimeOffset Start, double GreenShare, double GreenShareNow);

// When deferrable work should start: the start, now or at a coming hour boundary, whose run has
// the highest average green share and still ends by the deadline. Profiles are indexed by the
// hour of day of the DateTimeOffsets given (their offset decides whose "hour 0" it is).
public static class GreenWindowPlanner
{
    public static GreenWindow Plan(IReadOnlyList<double> profile, DateTimeOffset now, TimeSpan duration, DateTimeOffset deadline)
    {
        if (profile.Count != 24) throw new ArgumentException("a green profile has 24 hourly shares", nameof(profile));
        var shareNow = AverageShare(profile, now, duration);
        var best = new GreenWindow(now, shareNow, shareNow);
        // The profile repeats daily, so a window starting at the same hour a day later is never better.
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, now.Offset).AddHours(1);
        for (var h = 0; h < 24 && start + duration <= deadline; h++, start = start.AddHours(1))
        {
            var share = AverageShare(profile, start, duration);
            if (share > best.GreenShare + 1e-12) best = best with { Start = start, GreenShare = share };
        }
        return best;
    }

    // Time-weighted average share over [start, start + duration); the start hour's share when the
    // duration is zero.
    public static double AverageShare(IReadOnlyList<double> profile, DateTimeOffset start, TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return profile[start.Hour];
        double weighted = 0;
        var at = start;
        var end = start + duration;
        while (at < end)
        {
            var hourEnd = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, at.Offset).AddHours(1);
            var until = hourEnd < end ? hourEnd : end;
            weighted += profile[at.Hour] * (until - at).TotalSeconds;
            at = until;
        }
        return weighted / duration.TotalSeconds;
    }
}
