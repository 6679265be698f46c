using System.Globalization;
using static TorchSharp.torch;

namespace CorrKD.Data;

/// <summary>
/// Input feature options (config section "features"). Not a choice the paper discusses: its files come as they are.
/// </summary>
public sealed record FeatureOptions
{
    /// <summary>
    /// OPEN (the kit's): z-score every modality per feature dimension with the mean and sd of the training split's
    /// real frames, applied to train, valid and test (<see cref="FeatureStandardizer"/>). Default off, so that runs
    /// made before the option existed (the README's reference results) stay bit-identical; turn it on for real files
    /// whose modalities differ wildly in scale (CMU-MOSI's COVAREP audio: mean 2.5, sd 22.8, against text sd 0.35).
    /// </summary>
    public bool Standardize { get; init; }
}

/// <summary>Per-dimension statistics of one modality over the real frames of the split they were fitted on.</summary>
/// <param name="Modality">Which modality.</param>
/// <param name="Frames">Real (not all-zero) frames counted.</param>
/// <param name="Mean">Per feature dimension, length d.</param>
/// <param name="Sd">Population sd per dimension (divide by Frames); a dimension that is constant there gets 1 (centred only).</param>
public sealed record ModalityStatistics(Modality Modality, long Frames, double[] Mean, double[] Sd)
{
    /// <summary>Mean of every value of every real frame (pooled over dimensions).</summary>
    public double PooledMean => Mean.Length == 0 ? 0 : Mean.Average();

    /// <summary>Sd of every value of every real frame (pooled over dimensions; uses the raw sd, not the 1 of constant dims).</summary>
    public double PooledSd { get; init; }
}

/// <summary>
/// Z-scores each modality per feature dimension: x' = (x - mean_j) / sd_j, with mean_j and sd_j computed over the
/// <b>training split's real frames only</b>, then applied unchanged to train, valid and test.
/// A frame is real when any of its values is non-zero. An all-zero frame is what the kit means by a missing frame
/// everywhere (end padding, a modality absent from a sample, MRM and the intra protocol's dropped frames), so all-zero
/// frames are left out of the statistics and stay exactly +0 after standardisation: every missing-modality condition
/// still sees zeros where data is missing. The per-sample lengths are not used for this: the loaders derive them from
/// the same zeros when a file has none, and an all-zero frame inside a length (e.g. no face found) is missing too.
/// </summary>
public sealed class FeatureStandardizer
{
    /// <summary>Samples per chunk: bounds the float64 working copy (MOSEI text: 256 x 50 x 768 x 8 B = 79 MB).</summary>
    private const long Chunk = 256;

    public IReadOnlyList<ModalityStatistics> Modalities { get; }
    /// <summary>The split the statistics come from (always "train" in runs).</summary>
    public string FittedOn { get; }

    private FeatureStandardizer(IReadOnlyList<ModalityStatistics> modalities, string fittedOn) { Modalities = modalities; FittedOn = fittedOn; }

    /// <summary>Statistics of every modality of <paramref name="split"/> (pass the training split).</summary>
    public static FeatureStandardizer Fit(MsaSplit split) =>
        new(Enumerable.Range(0, 3).Select(m => FitModality((Modality)m, split.Modalities[m])).ToList(), split.Name);

    /// <summary>Standardises every split of <paramref name="ds"/> in place with these statistics.</summary>
    public void Apply(MsaDataset ds) { foreach (var s in ds.Splits) Apply(s); }

    /// <summary>Standardises one split in place; all-zero frames stay +0.</summary>
    public void Apply(MsaSplit split)
    {
        for (int m = 0; m < 3; m++)
        {
            var x = split.Modalities[m];
            var st = Modalities[m];
            if (x.shape[2] != st.Mean.Length)
                throw new ArgumentException($"split '{split.Name}', {st.Modality}: feature dim {x.shape[2]} differs from the {st.Mean.Length} dims the statistics were fitted on ('{FittedOn}')");
            using var scope = NewDisposeScope();
            var mean = tensor(st.Mean, ScalarType.Float64);
            var sd = tensor(st.Sd, ScalarType.Float64);
            for (long start = 0; start < x.shape[0]; start += Chunk)
            {
                using var inner = NewDisposeScope();
                var part = x.narrow(0, start, Math.Min(Chunk, x.shape[0] - start));        // (n, T, d), a view of x
                var missing = part.ne(0).any(-1, keepdim: true).logical_not();               // (n, T, 1)
                var z = ((part.to(ScalarType.Float64) - mean) / sd).to(ScalarType.Float32);
                part.copy_(z.masked_fill(missing, 0f));
            }
        }
    }

    private static ModalityStatistics FitModality(Modality modality, Tensor x)
    {
        long d = x.shape[2];
        using var scope = NewDisposeScope();
        var sum = zeros(d, ScalarType.Float64);
        double frames = 0;
        for (long start = 0; start < x.shape[0]; start += Chunk)
        {
            using var inner = NewDisposeScope();
            var (part, real) = ChunkAt(x, start);
            sum.add_((part * real).sum(new long[] { 0, 1 }));
            frames += real.sum().item<double>();
        }
        var mean = frames > 0 ? sum / frames : zeros(d, ScalarType.Float64);
        var sq = zeros(d, ScalarType.Float64);
        for (long start = 0; start < x.shape[0]; start += Chunk)   // second pass: squared deviations (no cancellation for large means)
        {
            using var inner = NewDisposeScope();
            var (part, real) = ChunkAt(x, start);
            sq.add_(((part - mean) * real).square().sum(new long[] { 0, 1 }));
        }
        var meanArr = mean.data<double>().ToArray();
        var sdRaw = (frames > 0 ? (sq / frames).sqrt() : zeros(d, ScalarType.Float64)).data<double>().ToArray();
        double pooledVar = 0;
        for (int j = 0; j < d; j++) pooledVar += sdRaw[j] * sdRaw[j] + meanArr[j] * meanArr[j];
        double pooledMean = d == 0 ? 0 : meanArr.Average();
        pooledVar = d == 0 ? 0 : Math.Max(0, pooledVar / d - pooledMean * pooledMean);
        // A dimension constant over the real frames (sd ~ 0 relative to its mean) is only centred.
        var sdUsed = sdRaw.Select((s, j) => s > 1e-6 * Math.Max(1, Math.Abs(meanArr[j])) ? s : 1.0).ToArray();
        return new ModalityStatistics(modality, (long)frames, meanArr, sdUsed) { PooledSd = Math.Sqrt(pooledVar) };
    }

    /// <summary>Samples [start, start + Chunk) of x as float64 (n, T, d) and their real-frame weights (n, T, 1):
    /// 1 where any value of the frame is non-zero. Call inside a dispose scope.</summary>
    private static (Tensor Part, Tensor Real) ChunkAt(Tensor x, long start)
    {
        var part = x.narrow(0, start, Math.Min(Chunk, x.shape[0] - start)).to(ScalarType.Float64);
        return (part, part.ne(0).any(-1, keepdim: true).to(ScalarType.Float64));
    }

    /// <summary>
    /// Scale warnings of the `data inspect` rule, from statistics of the training split's real frames (pooled over
    /// dimensions): a modality is flagged when its sd lies outside [1/<paramref name="factor"/>, <paramref name="factor"/>]
    /// (far from unit scale), or when it is more than <paramref name="factor"/> times the smallest sd of the other
    /// modalities (far from the others). Empty when every modality is on a comparable, near-unit scale.
    /// </summary>
    public IReadOnlyList<string> ScaleWarnings(double factor = 10)
    {
        var present = Modalities.Where(s => s.Frames > 0 && s.PooledSd > 0).ToList();
        var warnings = new List<string>();
        foreach (var s in present)
        {
            var reasons = new List<string>();
            if (s.PooledSd > factor || s.PooledSd < 1 / factor) reasons.Add($"outside the unit-scale band [{F(1 / factor)}, {F(factor)}]");
            var smallest = present.Where(o => o != s).OrderBy(o => o.PooledSd).FirstOrDefault();
            if (smallest != null && s.PooledSd > factor * smallest.PooledSd)
                reasons.Add($"{F(s.PooledSd / smallest.PooledSd)}x the sd of {Name(smallest.Modality)} ({F(smallest.PooledSd)})");
            if (reasons.Count > 0)
                warnings.Add($"{Name(s.Modality)} features: mean {F(s.PooledMean)}, sd {F(s.PooledSd)} over {s.Frames} real training frames, " +
                             $"{string.Join(" and ", reasons)}; consider \"features\": {{ \"standardize\": true }} in the config (--standardize) " +
                             "to z-score each modality with training statistics");
        }
        return warnings;
    }

    private static string Name(Modality m) => m.ToString().ToLowerInvariant();
    private static string F(double v) => v.ToString(Math.Abs(v) >= 100 ? "F0" : Math.Abs(v) >= 10 ? "0.#" : "0.###", CultureInfo.InvariantCulture);
}
