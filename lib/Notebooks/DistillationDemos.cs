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

/// <summary>Notebook 05's comparisons of RCD with plain response KL.</summary>
public static class RcdDemos
{
    /// <summary>
    /// One response split the way RCD sees it: the softmax p, the target part b = [p_y, 1 − p_y] and the non-target
    /// part q (softmax over the other classes), for logits <paramref name="logits"/> and target class <paramref name="target"/>.
    /// </summary>
    public static HtmlView Disentangle(float[] logits, int target, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        var z = torch.tensor(logits).reshape(1, logits.Length);
        var y = torch.tensor(new long[] { target });
        string Row(Tensor t) => string.Join("  ", t.to(ScalarType.Float32).data<float>().ToArray().Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        return NotebookViews.TwoColumns(new[]
        {
            ("logits z", string.Join("  ", logits.Select(v => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))),
            ($"softmax p (target class {target})", Row(softmax(z / temperature, 1))),
            ("target part b = [p_y, 1 − p_y]", Row(ResponseConsistencyDistillation.TargetPart(z, y, temperature))),
            ("non-target part q", Row(ResponseConsistencyDistillation.NonTargetPart(z, y, temperature))),
        }, "", "values");
    }

    /// <summary>
    /// For each student response: plain KL(p^t ‖ p^s) (what `rcd-kl` and `kd` minimise) beside RCD's view, the
    /// mutual-information estimates of the target and non-target parts after training the statistics networks for
    /// <paramref name="steps"/> steps (mean of the last 50). KL asks the student to reproduce the teacher's numbers; MI
    /// only asks that the student's response be predictable from the teacher's, so a sharpened copy that KL penalises
    /// scores as high an MI as a copy.
    /// </summary>
    public static HtmlView VersusKl(Tensor zT, Tensor y, IReadOnlyDictionary<string, Tensor> students, int numClasses, int steps, long seed)
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        foreach (var (name, zS) in students)
        {
            double kl;
            using (var scope = NewDisposeScope()) kl = KlDistillation.Loss(zS, zT, 1.0).item<float>();
            var (target, nonTarget) = DistillationDemos.TrainMiEstimator(zS, zT, y, numClasses, steps, seed);
            double Tail(double[] a) => a.Skip(Math.Max(0, a.Length - 50)).Average();
            rows.Add(new Dictionary<string, object?>
            {
                ["student response"] = name, ["KL(p^t ‖ p^s)"] = kl, ["MI target (est.)"] = Tail(target), ["MI non-target (est.)"] = Tail(nonTarget),
            });
        }
        return rows.AsHtml(decimals: 3);
    }
}
