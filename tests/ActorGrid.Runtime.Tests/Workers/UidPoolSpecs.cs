using ActorGrid.Worker.Sandbox;

namespace ActorGrid.Runtime.Tests.Workers;

public sealed class UidPoolSpecs : IDisposable
{
    private readonly string _locks = Path.Combine(Path.GetTempPath(), "actorgrid-uid-locks-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Should_never_hand_the_same_uid_to_two_live_attempts_of_one_worker()
    {
        var pool = new UidPool(200_000, 3);
        var taken = new[] { pool.Take(), pool.Take(), pool.Take() };
        Assert.Equal(3, taken.Distinct().Count());
        Assert.Null(pool.Take());
        pool.Release(taken[1]!.Value);
        Assert.Equal(taken[1], pool.Take());
    }

    [Fact]
    public void Should_never_hand_the_same_uid_to_two_workers_on_one_machine()
    {
        // Two worker processes on one machine, as the multi-host tests run them, share the range.
        var a = new UidPool(200_000, 4, _locks);
        var b = new UidPool(200_000, 4, _locks);
        var fromA = new[] { a.Take(), a.Take() };
        var fromB = new[] { b.Take(), b.Take() };
        Assert.Empty(fromA.Intersect(fromB));
        Assert.Null(b.Take()); // all four are held, two by each
        a.Release(fromA[0]!.Value);
        Assert.Equal(fromA[0], b.Take());
    }

    public void Dispose()
    {
        try { Directory.Delete(_locks, true); } catch (IOException) { }
    }
}
