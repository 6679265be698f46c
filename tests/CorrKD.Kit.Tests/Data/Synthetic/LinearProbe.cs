using CorrKD.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Synthetic;

/// <summary>
/// Closed-form probes for signal-structure tests: mean-pool each modality over the valid frames, fit ridge least
/// squares on train, score on test. Cheap (a few ms) and with no training randomness, so a failure means the data changed.
/// </summary>
internal static class LinearProbe
{
    /// <summary>(N, sum d_m) float64: mean over the first L_i frames of each chosen modality, concatenated.</summary>
    public static Tensor Pooled(MsaSplit s, params Modality[] mods)
    {
        using var scope = NewDisposeScope();
        var len = tensor(s.Lengths[0]).to(ScalarType.Float64).clamp_min(1).unsqueeze(1);
        var parts = mods.Select(m => s[m].to(ScalarType.Float64).sum(1) / len).ToArray();
        return cat(parts, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Features z-scored with train statistics, then w = (X'X + lambda N I)^-1 X'y with an unpenalised-in-practice
    /// bias column; returns predictions on Xtest. yTrain is (N) or (N, K) for one-vs-rest targets.
    /// </summary>
    public static Tensor FitPredict(Tensor xTrain, Tensor yTrain, Tensor xTest, double lambda = 1e-3)
    {
        using var scope = NewDisposeScope();
        var mu = xTrain.mean(new long[] { 0 }, keepdim: true); var sd = xTrain.std(0, keepdim: true).clamp_min(1e-8);
        Tensor Prep(Tensor x) => cat(new[] { (x - mu) / sd, ones(x.shape[0], 1, dtype: ScalarType.Float64) }, 1);
        var x = Prep(xTrain); var xt = Prep(xTest);
        var y = yTrain.dim() == 1 ? yTrain.unsqueeze(1) : yTrain;
        var a = x.t().matmul(x) + lambda * x.shape[0] * eye(x.shape[1], dtype: ScalarType.Float64);
        var w = linalg.solve(a, x.t().matmul(y.to(ScalarType.Float64)));
        var p = xt.matmul(w);
        return (yTrain.dim() == 1 ? p.squeeze(1) : p).MoveToOuterDisposeScope();
    }

    public static double[] FitPredict(Tensor xTrain, double[] yTrain, Tensor xTest, double lambda = 1e-3)
    {
        using var p = FitPredict(xTrain, tensor(yTrain), xTest, lambda);
        return p.data<double>().ToArray();
    }

    public static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Binary accuracy on non-zero labels: sign(prediction) against sign(label), over the chosen rows.</summary>
    public static double SignAccuracy(double[] pred, float[] labels, Func<int, bool>? rows = null)
    {
        int hit = 0, n = 0;
        for (int i = 0; i < pred.Length; i++)
        {
            if (labels[i] == 0 || (rows != null && !rows(i))) continue;
            n++; if ((pred[i] > 0) == (labels[i] > 0)) hit++;
        }
        return (double)hit / n;
    }
}
