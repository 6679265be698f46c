namespace CorrKD.Data.Synthetic;

/// <summary>
/// Counter-based randomness that gives the same bits on every .NET version and OS: SplitMix64 (Steele, Lea and
/// Flood, 2014) for integers, and only IEEE-exact arithmetic (+, -, *, /, sqrt) plus the kit's own
/// <see cref="DetMath"/> log/exp for the rest. System.Random and Math.Log/Exp are avoided on purpose: their
/// results are not promised to be identical across runtimes.
/// <para>A stream is keyed by a tuple of integers (seed, purpose, index, ...), so any clip, video or frame can be
/// generated on its own, in any order or in parallel, and still get the same numbers.</para>
/// </summary>
public static class SplitMix64
{
    /// <summary>The golden-ratio increment of SplitMix64.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's finaliser: z = (z ^ z>>30)*C1; z = (z ^ z>>27)*C2; z ^ z>>31. A bijection on 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Hash of a key tuple: h = Mix(h + Gamma ^ part) folded over the parts, starting from a fixed constant.</summary>
    public static ulong Key(params ulong[] parts)
    {
        ulong h = 0x243F6A8885A308D3UL;
        foreach (var p in parts) h = Mix((h + Gamma) ^ p);
        return h;
    }

    /// <summary>64-bit FNV-1a of a string's UTF-16 code units: a stable stand-in for string.GetHashCode (which is randomised per process).</summary>
    public static ulong StringKey(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001B3UL; }
        return h;
    }

    /// <summary>Top 53 bits of a 64-bit word as a double in [0, 1).</summary>
    public static double ToUnit(ulong x) => (x >> 11) * (1.0 / 9007199254740992.0);
}

/// <summary>
/// One deterministic random stream (SplitMix64 state walk). Gaussians use Marsaglia's polar method, which needs
/// only sqrt (IEEE-exact) and a log (the kit's own), so the draws are bit-identical everywhere.
/// </summary>
public sealed class CounterRandom
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public CounterRandom(ulong key) => _state = key;

    /// <summary>A stream for a key tuple, e.g. (seed, purpose, video, clip).</summary>
    public static CounterRandom For(params ulong[] parts) => new(SplitMix64.Key(parts));

    public ulong NextUInt64() => SplitMix64.Mix(_state += SplitMix64.Gamma);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => SplitMix64.ToUnit(NextUInt64());

    /// <summary>Uniform integer in [0, n) (multiply-high, bias below 2^-40 for the n used here).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    public bool Bernoulli(double p) => NextDouble() < p;

    /// <summary>Standard normal by the polar method: draw (u, v) in the unit disc, s = u^2+v^2, return u*sqrt(-2 ln s / s).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * DetMath.Log(s) / s);
        _spare = v * f; _hasSpare = true;
        return u * f;
    }

    public double Normal(double mean, double sd) => mean + sd * NextGaussian();

    /// <summary>Index drawn from a cumulative distribution (last entry 1) by binary search.</summary>
    public int Categorical(double[] cdf)
    {
        double u = NextDouble();
        int lo = 0, hi = cdf.Length - 1;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (u < cdf[mid]) hi = mid; else lo = mid + 1; }
        return lo;
    }

    /// <summary>A vector of d independent N(0, sd^2) values.</summary>
    public float[] GaussianVector(int d, double sd = 1.0)
    {
        var x = new float[d];
        for (int i = 0; i < d; i++) x[i] = (float)(sd * NextGaussian());
        return x;
    }

    /// <summary>A random direction: a Gaussian vector scaled to unit Euclidean norm.</summary>
    public float[] UnitVector(int d)
    {
        var g = new double[d];
        double n2 = 0;
        for (int i = 0; i < d; i++) { g[i] = NextGaussian(); n2 += g[i] * g[i]; }
        double inv = 1 / Math.Sqrt(n2);
        var x = new float[d];
        for (int i = 0; i < d; i++) x[i] = (float)(g[i] * inv);
        return x;
    }

    /// <summary>Fisher-Yates shuffle of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }
}

/// <summary>
/// log and exp from IEEE-exact operations only (range reduction by the exponent bits, then a short series), so
/// generated data never depends on the C runtime's libm. Accurate to a few ulp, which is all a generator needs.
/// </summary>
public static class DetMath
{
    private const double Ln2 = 0.6931471805599453094;

    /// <summary>ln x for x &gt; 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln x = e ln2 + 2 atanh((m-1)/(m+1)).</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "DetMath.Log needs a finite x > 0");
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF);
        if (e == 0) return Log(x * 4503599627370496.0) - 52 * Ln2; // subnormal: scale by 2^52
        e -= 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // in [1, 2)
        if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
        double f = (m - 1) / (m + 1), f2 = f * f, term = f, sum = 0;
        for (int k = 1; k <= 27; k += 2) { sum += term / k; term *= f2; }
        return e * Ln2 + 2 * sum;
    }

    /// <summary>e^x: x = k ln2 + r with |r| &lt;= ln2/2, e^x = 2^k (Taylor series of e^r to order 20).</summary>
    public static double Exp(double x)
    {
        if (x > 709) return double.PositiveInfinity;
        if (x < -745) return 0;
        double k = Math.Round(x / Ln2, MidpointRounding.ToEven);
        double r = x - k * Ln2, term = 1, sum = 1;
        for (int n = 1; n <= 20; n++) { term *= r / n; sum += term; }
        return Math.ScaleB(sum, (int)k);
    }
}
