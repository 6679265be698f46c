using CorrKD.Distillation;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Notebooks;

/// <summary>Computations the distillation notebooks (03-05) show; the losses themselves come from CorrKD.Distillation.</summary>
public static class DistillationDemos
{
    /// <summary>
    /// M_ic = cos(h_i, p_c) with p_c the mean of h over the batch's class-c samples: the matrix CPD compares between
    /// teacher and student. h (N, D), y int64 (N,) -> (N, K); columns of classes absent from the batch are NaN.
    /// (Recomputed here for display; CategoryPrototypeDistillation.Loss is the reference.)
    /// </summary>
    public static Tensor PrototypeCorrelations(Tensor h, Tensor y, int numClasses)
    {
        using var scope = NewDisposeScope();
        var oneHot = F.one_hot(y, numClasses).to(h.dtype);                          // (N, K)
        var counts = oneHot.sum(0L);                                                  // (K,)
        var prototypes = oneHot.t().matmul(h) / counts.clamp_min(1.0).unsqueeze(1);   // (K, D)
        var m = F.normalize(h, p: 2, dim: 1).matmul(F.normalize(prototypes, p: 2, dim: 1).t());
        var absent = counts.eq(0).unsqueeze(0).expand_as(m);
        return m.masked_fill(absent, double.NaN).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Trains only RCD's statistics networks (Adam, lr 1e-3) to maximise the JSD mutual-information estimates
    /// between fixed teacher and student logits, and returns the estimates after each step: (target MI, non-target MI).
    /// Shows that the estimator separates dependent from independent responses before any student learns.
    /// </summary>
    public static (double[] Target, double[] NonTarget) TrainMiEstimator(Tensor zS, Tensor zT, Tensor y, int numClasses,
        int steps, long seed, DistillationOptions? options = null)
    {
        var o = options ?? DistillationOptions.Default;
        torch.random.manual_seed(seed);
        using var rcd = new ResponseConsistencyDistillation(numClasses, o);
        using var opt = optim.Adam(rcd.parameters(), lr: 1e-3);
        var gen = new Generator((ulong)seed);
        var target = new double[steps]; var nonTarget = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var terms = rcd.Compute(zS, zT, y, gen);
            opt.zero_grad();
            terms.Loss.backward();                    // L_RCD = -(MI_t + MI_nt): descending it raises both estimates
            opt.step();
            target[s] = terms.TargetMi.item<float>();
            nonTarget[s] = terms.NonTargetMi.item<float>();
        }
        return (target, nonTarget);
    }
}
