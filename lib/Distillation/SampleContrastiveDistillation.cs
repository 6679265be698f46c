using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Distillation;

/// <summary>
/// SCD, sample-level contrastive distillation: the student's representation of sample i is pulled onto the
/// teacher's representation of the same sample and pushed at least a margin away from the teacher's
/// representations of the other samples, so the student inherits the teacher's cross-sample correlations.
/// </summary>
public static class SampleContrastiveDistillation
{
    /// <summary>Floor under squared distances before the square root: sqrt has an infinite slope at 0.</summary>
    public const double DistanceEpsilon = 1e-12;

    /// <summary>
    /// d_ij = ||h^s_i - h^t_j||_2;
    /// L_SCD = (1/N) sum_i d_ii^2 + (1/(N(N-1))) sum_{i != j} max(0, eta - d_ij)^2.
    /// With <c>squared: false</c> the two sums use d_ii and max(0, eta - d_ij) instead. For N = 1 the negative
    /// sum is empty and contributes 0. The positive part uses the plain squared distance and the hinge uses
    /// sqrt(max(d^2, eps)), so gradients stay finite when h^s_i == h^t_j. The teacher is a fixed target (detached).
    /// </summary>
    /// <param name="hS">student representations h^s, (N, D)</param>
    /// <param name="hT">teacher representations h^t, (N, D)</param>
    /// <param name="margin">eta (OPEN)</param>
    /// <param name="normalize">L2-normalise each row of h^s and h^t first (OPEN)</param>
    /// <param name="squared">square the distances and hinges (OPEN)</param>
    /// <returns>scalar loss</returns>
    public static Tensor Loss(Tensor hS, Tensor hT, double margin = 1.0, bool normalize = true, bool squared = true)
    {
        ShapeChecks.Pair(hS, "hS", hT, "hT");
        using var scope = NewDisposeScope();
        var s = hS;
        var t = hT.detach();
        if (normalize)
        {
            s = F.normalize(s, p: 2, dim: 1);
            t = F.normalize(t, p: 2, dim: 1);
        }
        long n = s.shape[0];

        var sqPos = (s - t).pow(2).sum(1);                                  // (N,)  d_ii^2
        var positive = squared ? sqPos.mean() : sqPos.clamp_min(DistanceEpsilon).sqrt().mean();

        Tensor loss = positive;
        if (n > 1)
        {
            // d_ij^2 = |s_i|^2 + |t_j|^2 - 2 s_i.t_j as one matrix product (10x faster than an (N, N, D) broadcast at
            // N = 128); clamped at 0 against rounding.
            var sq = (s.pow(2).sum(1).unsqueeze(1) + t.pow(2).sum(1).unsqueeze(0) - 2 * s.matmul(t.t())).clamp_min(0.0); // (N, N)
            var d = sq.clamp_min(DistanceEpsilon).sqrt();
            var hinge = (margin - d).clamp_min(0.0);
            if (squared) hinge = hinge.pow(2);
            var negative = (hinge.sum() - hinge.diagonal().sum()) / (double)(n * (n - 1));   // off-diagonal pairs only
            loss = positive + negative;
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>SCD with the margin, normalisation and squaring taken from <paramref name="options"/>.</summary>
    public static Tensor Loss(Tensor hS, Tensor hT, DistillationOptions options)
        => Loss(hS, hT, options.ScdMargin, options.ScdNormalize, options.ScdSquared);
}
