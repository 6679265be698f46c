using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Distillation;

/// <summary>
/// Temperature-scaled KL distillation (Hinton et al.): the vanilla KD baseline and the paper's "RCD replaced by
/// KL" ablation. Written out by hand because TorchSharp's kl_div defaults to log_target = true and has no
/// batchmean reduction.
/// </summary>
public static class KlDistillation
{
    /// <summary>
    /// L_KL = tau^2 * (1/N) sum_i sum_c p^t_ic (log p^t_ic - log p^s_ic), p^w = softmax(z^w / tau)
    /// (batchmean; the tau^2 keeps gradient size comparable across temperatures). The teacher is detached.
    /// </summary>
    /// <param name="zS">student logits z^s, (N, K)</param>
    /// <param name="zT">teacher logits z^t, (N, K)</param>
    /// <param name="temperature">tau</param>
    /// <returns>scalar loss</returns>
    public static Tensor Loss(Tensor zS, Tensor zT, double temperature = 1.0)
    {
        ShapeChecks.Pair(zS, "zS", zT, "zT");
        if (!(temperature > 0)) throw new ArgumentException($"temperature = {temperature}: must be > 0");
        using var scope = NewDisposeScope();
        var logPs = F.log_softmax(zS / temperature, 1);
        var logPt = F.log_softmax(zT.detach() / temperature, 1);
        var kl = (logPt.exp() * (logPt - logPs)).sum() / (double)zS.shape[0];
        return (temperature * temperature * kl).MoveToOuterDisposeScope();
    }
}
