namespace ActorGrid.Sim;

// A seeded generator with a fixed algorithm, so a seed gives the same scenario on every .NET
// version (System.Random's seeded sequence is not promised to stay the same).
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1).
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public double Between(double min, double max) => min + (max - min) * NextDouble();

    public int Below(int n) => (int)(NextDouble() * n);

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    // Exponential with the given mean: gaps between Poisson arrivals.
    public double Exponential(double mean) => -mean * Math.Log(1 - NextDouble());
}
