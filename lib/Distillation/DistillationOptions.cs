namespace CorrKD.Distillation;

/// <summary>How CPD reduces the squared correlation gaps over the classes present in the batch (OPEN in the paper).</summary>
public enum CpdReduction
{
    /// <summary>Mean over samples and over present classes (kit default).</summary>
    Mean,
    /// <summary>Sum over present classes, mean over samples.</summary>
    SumOverClasses,
}

/// <summary>
/// Every OPEN choice of the three CorrKD terms and of the KL baselines, with the kit's default, in one place.
/// None of these defaults is the paper's: the paper does not publish them (see CORRKD-SPEC.md, "Losses").
/// The lambdas are the weights of the terms a variant uses; a variant that does not use a term gives it weight 0
/// whatever its lambda says.
/// </summary>
public sealed record DistillationOptions
{
    /// <summary>SCD margin eta for the negative (i != j) pairs. OPEN (dataset-specific in the paper, values unknown).</summary>
    public double ScdMargin { get; init; } = 1.0;
    /// <summary>SCD: L2-normalise h^s and h^t before taking distances. OPEN; the prototype did, so the margin is on the unit sphere.</summary>
    public bool ScdNormalize { get; init; } = true;
    /// <summary>SCD: square the distances (d_ii^2 and the hinge squared) as the spec writes it. OPEN; false uses d_ii and the plain hinge.</summary>
    public bool ScdSquared { get; init; } = true;

    /// <summary>CPD reduction over present classes. OPEN.</summary>
    public CpdReduction CpdReduction { get; init; } = CpdReduction.Mean;

    /// <summary>RCD temperature tau in p = softmax(z / tau). OPEN. The rcd-kl ablation uses the same tau for its KL.</summary>
    public double RcdTemperature { get; init; } = 1.0;
    /// <summary>RCD weight w_t of the target part MI(b^t, b^s). OPEN.</summary>
    public double RcdTargetWeight { get; init; } = 1.0;
    /// <summary>RCD weight w_nt of the non-target part MI(q^t, q^s). OPEN. Irrelevant for K = 2 (part inactive).</summary>
    public double RcdNonTargetWeight { get; init; } = 1.0;
    /// <summary>Hidden width of each RCD statistics network T(x, y) = Linear(2k, H) -> ReLU -> Linear(H, 1). OPEN.</summary>
    public int RcdHiddenSize { get; init; } = 32;

    /// <summary>Temperature of the vanilla KD baseline's KL (variant "kd"). OPEN (Hinton-style default).</summary>
    public double KdTemperature { get; init; } = 2.0;

    /// <summary>Weight of the task cross-entropy.</summary>
    public double LambdaTask { get; init; } = 1.0;
    /// <summary>Weight of SCD in the variants that use it.</summary>
    public double LambdaScd { get; init; } = 1.0;
    /// <summary>Weight of CPD in the variants that use it.</summary>
    public double LambdaCpd { get; init; } = 1.0;
    /// <summary>Weight of RCD in the variants that use it.</summary>
    public double LambdaRcd { get; init; } = 1.0;
    /// <summary>Weight of the KL term in the variants that use it (rcd-kl, kd).</summary>
    public double LambdaKl { get; init; } = 1.0;

    /// <summary>The kit's defaults.</summary>
    public static DistillationOptions Default { get; } = new();

    /// <summary>Throws ArgumentException naming the first option whose value cannot work.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string why)
        {
            if (!ok) throw new ArgumentException($"DistillationOptions.{name} = {value}: {why}");
        }
        Check(ScdMargin >= 0 && double.IsFinite(ScdMargin), nameof(ScdMargin), ScdMargin, "must be a finite value >= 0");
        Check(RcdTemperature > 0 && double.IsFinite(RcdTemperature), nameof(RcdTemperature), RcdTemperature, "must be > 0");
        Check(KdTemperature > 0 && double.IsFinite(KdTemperature), nameof(KdTemperature), KdTemperature, "must be > 0");
        Check(RcdHiddenSize > 0, nameof(RcdHiddenSize), RcdHiddenSize, "must be > 0");
        foreach (var (n, v) in new[] { (nameof(RcdTargetWeight), RcdTargetWeight), (nameof(RcdNonTargetWeight), RcdNonTargetWeight),
                     (nameof(LambdaTask), LambdaTask), (nameof(LambdaScd), LambdaScd), (nameof(LambdaCpd), LambdaCpd),
                     (nameof(LambdaRcd), LambdaRcd), (nameof(LambdaKl), LambdaKl) })
            Check(v >= 0 && double.IsFinite(v), n, v, "weights must be finite and >= 0");
    }
}
