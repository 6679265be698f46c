namespace CorrKD.Reporting;

/// <summary>
/// Paired comparison of A - B over n matched seeds. Sd is the sample sd of the differences (n - 1);
/// CI = mean ± t_{1-α/2, n-1}·sd/√n; T = mean/(sd/√n) with a two-sided Student p. When sd = 0 the test degenerates:
/// mean 0 gives T = 0, p = 1; otherwise T = ±∞, p = 0. PPermutation is the exact sign-flip p, NaN when n &gt; 16.
/// </summary>
public sealed record PairedResult(int N, double MeanDiff, double SdDiff, double CiLow, double CiHigh, double T, double PValue,
    double PPermutation);

/// <summary>
/// One comparison A vs B in one setting (dataset, protocol, condition, emotion, metric), over the seeds both
/// variants ran. PHolm is the Holm-Bonferroni adjusted p over the family returned together.
/// </summary>
public sealed record PairedComparison(string Dataset, string Protocol, string Condition, string Emotion, string Metric,
    string VariantA, string VariantB, IReadOnlyList<int> Seeds, PairedResult Result, double PHolm)
{
    /// <summary>Readable setting label, e.g. "MOSI inter avg" or "IEMOCAP inter l happy".</summary>
    public string Setting => string.Join(' ', new[] { Dataset, Protocol, Condition, Emotion }.Where(s => s.Length > 0));

    /// <summary>Whether A or B is a teacher: variant "teacher", or "SETTING:teacher" as a study names a setting's own.</summary>
    public bool InvolvesTeacher => IsTeacher(VariantA) || IsTeacher(VariantB);

    public static bool IsTeacher(string variant) => variant == "teacher" || variant.EndsWith(":teacher", StringComparison.Ordinal);
}

/// <summary>Paired statistics for "does variant A beat variant B over seeds": t-test, sign-flip test, Holm, power.</summary>
public static class PairedStatistics
{
    /// <summary>Largest n for which the exact sign-flip test enumerates all 2^n sign patterns.</summary>
    public const int MaxExactPermutationN = 16;

    /// <summary>Paired t statistics of d_i = a_i - b_i (see <see cref="PairedResult"/>); needs n ≥ 2.</summary>
    public static PairedResult Test(IReadOnlyList<double> a, IReadOnlyList<double> b, double confidence = 0.95)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired samples differ in length: {a.Count} vs {b.Count}");
        if (a.Count < 2) throw new ArgumentException($"a paired t-test needs at least 2 pairs, got {a.Count}");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must be in (0, 1)");
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        int n = d.Length;
        double mean = d.Average();
        double sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        double se = sd / Math.Sqrt(n);
        double tq = Distributions.StudentTQuantile(1 - (1 - confidence) / 2, n - 1);
        double t, p;
        if (se == 0) { t = mean == 0 ? 0 : mean > 0 ? double.PositiveInfinity : double.NegativeInfinity; p = mean == 0 ? 1 : 0; }
        else { t = mean / se; p = Distributions.StudentTTwoSidedP(t, n - 1); }
        double perm = n <= MaxExactPermutationN ? SignFlipP(d) : double.NaN;
        return new PairedResult(n, mean, sd, mean - tq * se, mean + tq * se, t, p, perm);
    }

    /// <summary>
    /// Exact two-sided sign-flip permutation p: under H0 each difference is symmetric about 0, so all 2^n sign
    /// patterns s are equally likely; p = #{s : |Σ s_i d_i| ≥ |Σ d_i|} / 2^n (the observed pattern counts, so p ≥ 2^-n;
    /// ties within 1e-9 relative count as ≥).
    /// </summary>
    public static double SignFlipP(IReadOnlyList<double> differences)
    {
        int n = differences.Count;
        if (n == 0) throw new ArgumentException("sign-flip test needs at least one difference");
        if (n > MaxExactPermutationN)
            throw new ArgumentException($"exact sign-flip test enumerates 2^n patterns; n = {n} exceeds {MaxExactPermutationN}");
        double observed = Math.Abs(differences.Sum());
        double tol = 1e-9 * Math.Max(1, differences.Sum(Math.Abs));
        long count = 0, total = 1L << n;
        for (long mask = 0; mask < total; mask++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += (mask >> i & 1) == 1 ? -differences[i] : differences[i];
            if (Math.Abs(s) >= observed - tol) count++;
        }
        return (double)count / total;
    }

    /// <summary>
    /// Holm-Bonferroni step-down adjusted p-values, returned in input order: sort p ascending, adjusted
    /// p_(i) = max_{j ≤ i} min(1, (m - j + 1)·p_(j)). Reject H_i at level α iff adjusted p_i ≤ α. NaN stays NaN and
    /// does not count towards m.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        var result = Enumerable.Repeat(double.NaN, pValues.Count).ToArray();
        var order = Enumerable.Range(0, pValues.Count).Where(i => !double.IsNaN(pValues[i])).OrderBy(i => pValues[i]).ToArray();
        int m = order.Length;
        double running = 0;
        for (int j = 0; j < m; j++)
        {
            running = Math.Max(running, Math.Min(1, (m - j) * pValues[order[j]]));
            result[order[j]] = running;
        }
        return result;
    }

    /// <summary>
    /// Power of a two-sided paired t-test with n pairs for a true mean difference delta and difference sd:
    /// 1 - F(t_c) + F(-t_c), F the noncentral t CDF (ν = n - 1, λ = δ√n/σ), t_c = t_{1-α/2, ν}. F is approximated by
    /// the normal approximation F(t) ≈ Φ((t(1 - 1/(4ν)) - λ) / √(1 + t²/(2ν))) (Abramowitz &amp; Stegun 26.7.10);
    /// against scipy's exact nct it gives the same required n for δ/σ from 0.3 to 2 (power off by ≤ 0.002).
    /// </summary>
    public static double Power(int n, double delta, double sd, double alpha = 0.05)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 pairs");
        if (!(sd > 0)) throw new ArgumentOutOfRangeException(nameof(sd), sd, "spread of the differences must be > 0");
        double nu = n - 1, lambda = Math.Abs(delta) * Math.Sqrt(n) / sd;
        double tc = Distributions.StudentTQuantile(1 - alpha / 2, nu);
        double F(double t) => Distributions.NormalCdf((t * (1 - 1 / (4 * nu)) - lambda) / Math.Sqrt(1 + t * t / (2 * nu)));
        return 1 - F(tc) + F(-tc);
    }

    /// <summary>
    /// Seeds (pairs) needed so a two-sided paired t-test at alpha detects a mean difference delta whose per-seed
    /// differences spread with sd, with the given power: the smallest n ≥ 2 with <see cref="Power"/> ≥ power.
    /// E.g. delta = sd: 10 seeds; delta = sd/2: 34.
    /// </summary>
    public static int SeedsNeeded(double delta, double sd, double alpha = 0.05, double power = 0.8, int maxSeeds = 100_000)
    {
        if (delta == 0) throw new ArgumentOutOfRangeException(nameof(delta), delta, "a zero effect cannot be detected with any n");
        for (int n = 2; n <= maxSeeds; n++)
            if (Power(n, delta, sd, alpha) >= power) return n;
        throw new ArgumentException($"more than {maxSeeds} seeds needed for delta {delta} at sd {sd}");
    }

    /// <summary>
    /// The smallest true mean difference a two-sided paired t-test with n pairs detects with the given power at alpha,
    /// when the per-pair differences spread with sd (same units as sd): the δ with <see cref="Power"/>(n, δ, sd) = power,
    /// by bisection. About 3·sd/√n for large n.
    /// </summary>
    public static double DetectableEffect(int n, double sd, double alpha = 0.05, double power = 0.8)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 pairs");
        if (!(sd > 0)) throw new ArgumentOutOfRangeException(nameof(sd), sd, "spread of the differences must be > 0");
        double lo = 0, hi = sd;
        while (Power(n, hi, sd, alpha) < power) hi *= 2;
        for (int i = 0; i < 60; i++) { double mid = (lo + hi) / 2; if (Power(n, mid, sd, alpha) < power) lo = mid; else hi = mid; }
        return hi;
    }

    /// <summary>Half-width of the paired t 95% interval (or <paramref name="confidence"/>) with n pairs of spread sd: t·sd/√n.</summary>
    public static double HalfWidth(int n, double sd, double confidence = 0.95)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least 2 pairs");
        return Distributions.StudentTQuantile(1 - (1 - confidence) / 2, n - 1) * sd / Math.Sqrt(n);
    }

    /// <summary>The smallest n ≥ 2 whose <see cref="HalfWidth"/> at spread sd is at most halfWidth.</summary>
    public static int PairsForHalfWidth(double sd, double halfWidth, double confidence = 0.95, int maxPairs = 100_000)
    {
        if (!(halfWidth > 0)) throw new ArgumentOutOfRangeException(nameof(halfWidth), halfWidth, "must be > 0");
        for (int n = 2; n <= maxPairs; n++)
            if (HalfWidth(n, sd, confidence) <= halfWidth) return n;
        throw new ArgumentException($"more than {maxPairs} pairs needed for a half-width {halfWidth} at sd {sd}");
    }

    /// <summary>
    /// Compares variantA - variantB on one metric in every setting (dataset, protocol, condition, emotion) where both
    /// ran on at least 2 common seeds (matching on dataset + seed), then Holm-adjusts over all comparisons returned.
    /// Optional filters restrict the family (which changes the Holm adjustment: choose the family before looking).
    /// </summary>
    public static IReadOnlyList<PairedComparison> Compare(IEnumerable<ResultRow> rows, string variantA, string variantB,
        string metric, string? dataset = null, string? protocol = null)
    {
        var sel = rows.Where(r => r.Metric == metric && (dataset is null || r.Dataset == dataset) && (protocol is null || r.Protocol == protocol)
                                  && (r.Variant == variantA || r.Variant == variantB)).ToList();
        var raw = new List<(string D, string P, string C, string E, int[] Seeds, PairedResult R)>();
        foreach (var g in sel.GroupBy(r => (r.Dataset, r.Protocol, r.Condition, r.Emotion))
                     .OrderBy(g => g.Key.Dataset, StringComparer.Ordinal).ThenBy(g => g.Key.Protocol, StringComparer.Ordinal))
        {
            var av = SeedMap(g.Where(r => r.Variant == variantA), g.Key, variantA);
            var bv = SeedMap(g.Where(r => r.Variant == variantB), g.Key, variantB);
            var seeds = av.Keys.Intersect(bv.Keys).Order().ToArray();
            if (seeds.Length < 2) continue;
            raw.Add((g.Key.Dataset, g.Key.Protocol, g.Key.Condition, g.Key.Emotion, seeds,
                Test(seeds.Select(s => av[s]).ToArray(), seeds.Select(s => bv[s]).ToArray())));
        }
        var holm = Holm(raw.Select(x => x.R.PValue).ToArray());
        return raw.Select((x, i) => new PairedComparison(x.D, x.P, x.C, x.E, metric, variantA, variantB, x.Seeds, x.R, holm[i])).ToList();
    }

    static Dictionary<int, double> SeedMap(IEnumerable<ResultRow> rows, object key, string variant)
    {
        var map = new Dictionary<int, double>();
        foreach (var r in rows)
            if (!map.TryAdd(r.Seed, r.Value))
                throw new ArgumentException($"variant '{variant}' has two rows for seed {r.Seed} in {key}: merge or deduplicate first");
        return map;
    }
}
