using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Distillation;

/// <summary>
/// CPD, category-guided prototype distillation: teacher and student each build one prototype per class from
/// the mini-batch; the student's sample-to-prototype cosine correlations are matched to the teacher's, so the
/// student inherits the teacher's cross-category structure. No memory bank, no momentum.
/// </summary>
public static class CategoryPrototypeDistillation
{
    /// <summary>
    /// p^w_c = mean of h^w_i over i with y_i = c (w = t, s separately);  M^w_ic = cos(h^w_i, p^w_c);
    /// L_CPD = mean over i and over classes c present in the batch of (M^t_ic - M^s_ic)^2
    /// (<see cref="CpdReduction.SumOverClasses"/>: sum over present classes, mean over i). Classes absent from the
    /// batch have no prototype and are skipped. Vectorised: prototypes = onehot(y)^T h / counts.
    /// The teacher is a fixed target (detached).
    /// </summary>
    /// <param name="hS">student representations h^s, (N, D)</param>
    /// <param name="hT">teacher representations h^t, (N, D)</param>
    /// <param name="y">class indices, int64 (N,), values in [0, K)</param>
    /// <param name="numClasses">K</param>
    /// <param name="reduction">mean or sum over present classes (OPEN)</param>
    /// <returns>scalar loss</returns>
    public static Tensor Loss(Tensor hS, Tensor hT, Tensor y, int numClasses, CpdReduction reduction = CpdReduction.Mean)
    {
        ShapeChecks.Pair(hS, "hS", hT, "hT");
        if (numClasses < 1) throw new ArgumentException($"numClasses = {numClasses}: must be >= 1");
        ShapeChecks.Labels(y, hS.shape[0], numClasses);
        using var scope = NewDisposeScope();
        long n = hS.shape[0];

        var oneHot = F.one_hot(y, numClasses).to(hS.dtype);                  // (N, K)
        var counts = oneHot.sum(dim: 0);                                  // (K,)  named: a bare 0 binds to sum(ScalarType)
        var present = counts.gt(0).to(hS.dtype);                             // (K,)  1 where class c has a prototype
        var mS = Correlations(hS, oneHot, counts);                           // (N, K)
        var mT = Correlations(hT.detach(), oneHot, counts);
        var gap = (mT - mS).pow(2) * present.unsqueeze(0);                   // absent classes contribute 0

        var perSample = gap.sum(1);                                          // (N,)
        var loss = reduction == CpdReduction.Mean
            ? perSample.sum() / (present.sum() * n)
            : perSample.mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>CPD with the reduction taken from <paramref name="options"/>.</summary>
    public static Tensor Loss(Tensor hS, Tensor hT, Tensor y, int numClasses, DistillationOptions options)
        => Loss(hS, hT, y, numClasses, options.CpdReduction);

    /// <summary>M_ic = cos(h_i, p_c) with p_c the class-c mean of h; (N, D), (N, K), (K,) -> (N, K).</summary>
    private static Tensor Correlations(Tensor h, Tensor oneHot, Tensor counts)
    {
        var prototypes = oneHot.t().matmul(h) / counts.clamp_min(1.0).unsqueeze(1);   // (K, D); absent rows are 0
        return F.normalize(h, p: 2, dim: 1).matmul(F.normalize(prototypes, p: 2, dim: 1).t());
    }
}
