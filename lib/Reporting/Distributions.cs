namespace CorrKD.Reporting;

/// <summary>
/// The few distribution functions the paired statistics need, written out so the kit has no numerics dependency.
/// Accuracy ~1e-10 over the ranges used here (df ≥ 1, |t| &lt; 1e6).
/// </summary>
public static class Distributions
{
    /// <summary>ln Γ(x) for x &gt; 0, Lanczos approximation (g = 7, 9 terms).</summary>
    public static double LogGamma(double x)
    {
        if (x <= 0) throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma needs x > 0");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        double a = c[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += c[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>
    /// Regularised incomplete beta I_x(a, b) = B(x; a, b) / B(a, b), by its continued fraction (modified Lentz),
    /// using the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the fraction converges slowly (x &gt; (a+1)/(a+b+2)).
    /// </summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (a <= 0 || b <= 0) throw new ArgumentOutOfRangeException(nameof(a), $"a = {a}, b = {b}: both must be > 0");
        if (x < 0 || x > 1 || double.IsNaN(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "x must be in [0, 1]");
        if (x == 0) return 0;
        if (x == 1) return 1;
        if (x > (a + 1) / (a + b + 2)) return 1 - RegularizedIncompleteBeta(b, a, 1 - x);
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        const double tiny = 1e-300, eps = 1e-15;
        double f = 1, c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d; f = d;
        for (int m = 1; m <= 10000; m++)
        {
            // even step: d_{2m} = m(b-m)x / ((a+2m-1)(a+2m))
            double num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            f *= c * d;
            // odd step: d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1))
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < eps) break;
        }
        return Math.Exp(lnFront) * f / a;
    }

    /// <summary>Student t CDF: P(T ≤ t) = 1 - ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, mirrored for t &lt; 0.</summary>
    public static double StudentTCdf(double t, double df)
    {
        if (df <= 0) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be > 0");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return t > 0 ? 1 : 0;
        double tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>Two-sided p = P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, ½).</summary>
    public static double StudentTTwoSidedP(double t, double df)
    {
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));
    }

    /// <summary>Student t quantile: the t with StudentTCdf(t, df) = p, by bisection on the CDF (monotone).</summary>
    public static double StudentTQuantile(double p, double df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1)");
        if (p == 0.5) return 0;
        if (p < 0.5) return -StudentTQuantile(1 - p, df);
        double lo = 0, hi = 1;
        while (StudentTCdf(hi, df) < p) { lo = hi; hi *= 2; if (hi > 1e12) return double.PositiveInfinity; }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * Math.Max(1, hi); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (StudentTCdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Standard normal CDF Φ(z) = ½[1 + sign(z)·P(½, z²/2)], P the regularised lower incomplete gamma.</summary>
    public static double NormalCdf(double z)
    {
        if (double.IsNaN(z)) return double.NaN;
        double p = RegularizedGammaP(0.5, z * z / 2);
        return z >= 0 ? 0.5 * (1 + p) : 0.5 * (1 - p);
    }

    /// <summary>Standard normal quantile Φ⁻¹(p) by bisection on <see cref="NormalCdf"/>.</summary>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1)");
        double lo = -40, hi = 40;
        for (int i = 0; i < 200 && hi - lo > 1e-14; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (NormalCdf(mid) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Regularised lower incomplete gamma P(a, x): series for x &lt; a+1, continued fraction otherwise.</summary>
    public static double RegularizedGammaP(double a, double x)
    {
        if (x <= 0) return 0;
        double lnFront = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum;
            for (int n = 1; n < 10000; n++)
            {
                term *= x / (a + n); sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-16) break;
            }
            return sum * Math.Exp(lnFront);
        }
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b; if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c; h *= del;
            if (Math.Abs(del - 1) < 1e-16) break;
        }
        return 1 - Math.Exp(lnFront) * h;
    }
}
