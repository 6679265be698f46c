using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Distillation;

/// <summary>
/// Every named term of one step's objective (scalars) and their weighted sum. A term whose weight is 0 is not
/// computed and is reported as 0, so every variant logs the same columns.
/// </summary>
public sealed record DistillationLosses(Tensor Total, Tensor Task, Tensor Scd, Tensor Cpd, Tensor Rcd, Tensor Kl)
{
    /// <summary>Term names in the order of <see cref="ToValues"/>; also the column names for per-epoch logs.</summary>
    public static IReadOnlyList<string> TermNames { get; } = new[] { "total", "task", "scd", "cpd", "rcd", "kl" };

    /// <summary>The unweighted terms as scalar tensors (total excluded), for per-epoch logging.</summary>
    public IReadOnlyDictionary<string, Tensor> Terms => new Dictionary<string, Tensor>
    {
        ["task"] = Task, ["scd"] = Scd, ["cpd"] = Cpd, ["rcd"] = Rcd, ["kl"] = Kl,
    };

    /// <summary>The terms as doubles (copied off the tensors), keyed by <see cref="TermNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToValues() => new Dictionary<string, double>
    {
        ["total"] = Total.ToDouble(), ["task"] = Task.ToDouble(), ["scd"] = Scd.ToDouble(),
        ["cpd"] = Cpd.ToDouble(), ["rcd"] = Rcd.ToDouble(), ["kl"] = Kl.ToDouble(),
    };
}

/// <summary>Per-term weights lambda. 0 switches a term off (it is then not computed).</summary>
public sealed record DistillationWeights(double Task, double Scd, double Cpd, double Rcd, double Kl);

/// <summary>
/// The objectives the kit trains, by name: the paper's full method, its three ablations, and two baselines.
/// </summary>
public static class DistillationVariants
{
    public const string CorrKD = "corrkd";
    public const string WithoutScd = "wo-scd";
    public const string WithoutCpd = "wo-cpd";
    public const string RcdToKl = "rcd-kl";
    public const string NoKd = "no-kd";
    public const string Kd = "kd";

    /// <summary>All known variant names.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { CorrKD, WithoutScd, WithoutCpd, RcdToKl, NoKd, Kd };

    /// <summary>One line per variant, for CLI help and notebooks.</summary>
    public static string Describe(string name) => Canonical(name) switch
    {
        CorrKD => "CorrKD: task + SCD + CPD + RCD",
        WithoutScd => "ablation: task + CPD + RCD (no SCD)",
        WithoutCpd => "ablation: task + SCD + RCD (no CPD)",
        RcdToKl => "ablation: task + SCD + CPD + KL(p^t || p^s) at the RCD temperature, in place of RCD",
        NoKd => "baseline: task only (student trained with missing modalities, no distillation)",
        _ => "baseline: vanilla KD, task + tau^2 KL(p^t || p^s) at the KD temperature",
    };

    /// <summary>The weights of variant <paramref name="name"/>: the option's lambda for each term it uses, 0 for the rest.</summary>
    public static DistillationWeights Weights(string name, DistillationOptions options)
    {
        var o = options;
        return Canonical(name) switch
        {
            CorrKD => new(o.LambdaTask, o.LambdaScd, o.LambdaCpd, o.LambdaRcd, 0),
            WithoutScd => new(o.LambdaTask, 0, o.LambdaCpd, o.LambdaRcd, 0),
            WithoutCpd => new(o.LambdaTask, o.LambdaScd, 0, o.LambdaRcd, 0),
            RcdToKl => new(o.LambdaTask, o.LambdaScd, o.LambdaCpd, 0, o.LambdaKl),
            NoKd => new(o.LambdaTask, 0, 0, 0, 0),
            _ => new(o.LambdaTask, 0, 0, 0, o.LambdaKl),
        };
    }

    /// <summary>Temperature of the KL term: the RCD tau for rcd-kl (a like-for-like swap), the KD tau for kd.</summary>
    public static double KlTemperature(string name, DistillationOptions options)
        => Canonical(name) == RcdToKl ? options.RcdTemperature : options.KdTemperature;

    /// <summary>The known name matching <paramref name="name"/> (case-insensitive, trimmed), else ArgumentException listing the names.</summary>
    public static string Canonical(string name)
    {
        var n = (name ?? "").Trim().ToLowerInvariant();
        return Names.Contains(n) ? n
            : throw new ArgumentException($"unknown distillation variant '{name}': known variants are {string.Join(", ", Names)}", nameof(name));
    }
}

/// <summary>
/// The training objective L = lambda_task L_task + lambda_scd L_SCD + lambda_cpd L_CPD + lambda_rcd L_RCD
/// + lambda_kl L_KL, holding the RCD statistics networks (add this module's parameters() to the student's
/// optimizer). The paper reports no weights: every lambda defaults to 1 for the terms a variant uses.
/// </summary>
public sealed class DistillationObjective : nn.Module
{
    private readonly ResponseConsistencyDistillation? rcd;   // exists only when the RCD weight is non-zero

    public string Variant { get; }
    public DistillationWeights Weights { get; }
    public DistillationOptions Options { get; }
    public int NumClasses { get; }
    /// <summary>Width D of the joint representations h^s, h^t the objective expects.</summary>
    public int HiddenDim { get; }
    /// <summary>Temperature of the KL term (used only when Weights.Kl != 0).</summary>
    public double KlTemperature { get; }

    /// <summary>The RCD module (statistics networks, non-target flag), or null if the objective does not use RCD.</summary>
    public ResponseConsistencyDistillation? Rcd => rcd;

    /// <summary>Things a run should print about this objective, such as the inactive RCD non-target part for K = 2.</summary>
    public IReadOnlyList<string> Notes => rcd?.InactiveNote is { } note ? new[] { note } : Array.Empty<string>();

    public DistillationObjective(DistillationWeights weights, DistillationOptions options, int numClasses, int hiddenDim,
        double klTemperature, string variant = "custom") : base(nameof(DistillationObjective))
    {
        options.Validate();
        if (numClasses < 2) throw new ArgumentException($"numClasses = {numClasses}: must be >= 2");
        if (hiddenDim < 1) throw new ArgumentException($"hiddenDim = {hiddenDim}: must be >= 1");
        if (!(klTemperature > 0)) throw new ArgumentException($"klTemperature = {klTemperature}: must be > 0");
        foreach (var (n, v) in new[] { ("Task", weights.Task), ("Scd", weights.Scd), ("Cpd", weights.Cpd), ("Rcd", weights.Rcd), ("Kl", weights.Kl) })
            if (!(v >= 0 && double.IsFinite(v))) throw new ArgumentException($"weights.{n} = {v}: must be finite and >= 0");
        Weights = weights;
        Options = options;
        NumClasses = numClasses;
        HiddenDim = hiddenDim;
        KlTemperature = klTemperature;
        Variant = variant;
        rcd = weights.Rcd != 0 ? new ResponseConsistencyDistillation(numClasses, options) : null;
        RegisterComponents();
    }

    /// <summary>The objective of a named variant (see <see cref="DistillationVariants.Names"/>); ArgumentException on an unknown name.</summary>
    public static DistillationObjective ForVariant(string name, DistillationOptions options, int numClasses, int hiddenDim)
    {
        var variant = DistillationVariants.Canonical(name);
        return new DistillationObjective(DistillationVariants.Weights(variant, options), options, numClasses, hiddenDim,
            DistillationVariants.KlTemperature(variant, options), variant);
    }

    /// <summary>All terms for one batch; RCD's shuffle pi is drawn from <paramref name="generator"/>.</summary>
    /// <param name="hS">student joint representation h^s, (N, D)</param>
    /// <param name="zS">student logits z^s, (N, K)</param>
    /// <param name="hT">teacher joint representation h^t, (N, D); detached here</param>
    /// <param name="zT">teacher logits z^t, (N, K); detached here</param>
    /// <param name="y">class indices, int64 (N,)</param>
    /// <param name="generator">source of RCD's batch shuffle (needed only when RCD is used)</param>
    public DistillationLosses Compute(Tensor hS, Tensor zS, Tensor hT, Tensor zT, Tensor y, Generator generator)
    {
        Check(hS, zS, hT, zT, y);
        if (rcd is null) return ComputeCore(hS, zS, hT, zT, y, null);
        ArgumentNullException.ThrowIfNull(generator);
        using var perm = randperm(hS.shape[0], generator: generator);   // host: CPU generator; RCD moves it to zS.device
        return ComputeCore(hS, zS, hT, zT, y, perm);
    }

    /// <summary>As <see cref="Compute(Tensor, Tensor, Tensor, Tensor, Tensor, Generator)"/> with RCD's shuffle given explicitly (int64 (N,)).</summary>
    public DistillationLosses Compute(Tensor hS, Tensor zS, Tensor hT, Tensor zT, Tensor y, Tensor rcdPermutation)
    {
        Check(hS, zS, hT, zT, y);
        return ComputeCore(hS, zS, hT, zT, y, rcdPermutation);
    }

    private void Check(Tensor hS, Tensor zS, Tensor hT, Tensor zT, Tensor y)
    {
        ShapeChecks.Pair(hS, "hS", hT, "hT");
        ShapeChecks.Pair(zS, "zS", zT, "zT");
        if (hS.shape[1] != HiddenDim)
            throw new ArgumentException($"hS {ShapeChecks.Shape(hS)}: expected D = {HiddenDim} (the objective's hiddenDim)");
        if (zS.shape[1] != NumClasses)
            throw new ArgumentException($"zS {ShapeChecks.Shape(zS)}: expected K = {NumClasses} classes");
        if (zS.shape[0] != hS.shape[0])
            throw new ArgumentException($"hS {ShapeChecks.Shape(hS)} and zS {ShapeChecks.Shape(zS)}: batch sizes differ");
        ShapeChecks.Labels(y, hS.shape[0], NumClasses);
    }

    private DistillationLosses ComputeCore(Tensor hS, Tensor zS, Tensor hT, Tensor zT, Tensor y, Tensor? rcdPermutation)
    {
        using var scope = NewDisposeScope();
        // The teacher is frozen: cut its graph even if the caller forgot no_grad().
        hT = hT.detach();
        zT = zT.detach();
        var w = Weights;
        var o = Options;
        Tensor Zero() => zeros(new long[0], dtype: zS.dtype, device: zS.device);

        var task = w.Task != 0 ? F.cross_entropy(zS, y) : Zero();
        var scd = w.Scd != 0 ? SampleContrastiveDistillation.Loss(hS, hT, o) : Zero();
        var cpd = w.Cpd != 0 ? CategoryPrototypeDistillation.Loss(hS, hT, y, NumClasses, o) : Zero();
        var rcdLoss = rcd is not null ? rcd.Compute(zS, zT, y, rcdPermutation!).Loss : Zero();
        var kl = w.Kl != 0 ? KlDistillation.Loss(zS, zT, KlTemperature) : Zero();

        var total = Zero();
        foreach (var (weight, term) in new[] { (w.Task, task), (w.Scd, scd), (w.Cpd, cpd), (w.Rcd, rcdLoss), (w.Kl, kl) })
            if (weight != 0) total = total + weight * term;

        return new DistillationLosses(total.MoveToOuterDisposeScope(), task.MoveToOuterDisposeScope(), scd.MoveToOuterDisposeScope(),
            cpd.MoveToOuterDisposeScope(), rcdLoss.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope());
    }
}
