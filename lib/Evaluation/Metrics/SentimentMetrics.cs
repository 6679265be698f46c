namespace CorrKD.Evaluation.Metrics;

/// <summary>
/// Binary sentiment metrics in both conventions. has0: positive = truth &gt;= 0, all N samples.
/// non0: samples with truth == 0 are dropped (NNon0 of them remain), positive = truth &gt; 0.
/// Acc2Non0/F1Non0 are NaN when every truth is 0 (nothing left to score); that is a defined "not applicable".
/// </summary>
public sealed record BinarySentimentScores(int N, int NNon0, double Acc2Has0, double F1Has0, double Acc2Non0, double F1Non0)
{
    public IReadOnlyList<MetricValue> ToMetrics() =>
    [
        new("", MetricNames.Acc2Has0, Acc2Has0), new("", MetricNames.F1Has0, F1Has0),
        new("", MetricNames.Acc2Non0, Acc2Non0), new("", MetricNames.F1Non0, F1Non0),
    ];
}

/// <summary>The full MMSA regression set: binary metrics (from the score's sign), Acc-5, Acc-7, MAE, Pearson r.</summary>
public sealed record SentimentScores(BinarySentimentScores Binary, double Acc5, double Acc7, double Mae, double Corr)
{
    public IReadOnlyList<MetricValue> ToMetrics() =>
    [
        .. Binary.ToMetrics(),
        new("", MetricNames.Acc5, Acc5), new("", MetricNames.Acc7, Acc7),
        new("", MetricNames.Mae, Mae), new("", MetricNames.Corr, Corr),
    ];
}

/// <summary>
/// MOSI/MOSEI metrics. Truth is the annotated score in [-3, 3]. The kit's models are classifiers with K classes;
/// <see cref="ClassToScore"/>/<see cref="ScoreToClass"/> define the one mapping between classes and scores.
/// </summary>
public static class SentimentMetrics
{
    /// <summary>
    /// For a K=2 classifier (class 1 = positive, i.e. predicted score &gt;= 0).
    /// has0: acc/F1 of (truth &gt;= 0) vs predPositive over all samples.
    /// non0: acc/F1 of (truth &gt; 0) vs predPositive over samples with truth != 0.
    /// F1 = sklearn weighted F1 with truth first (see <see cref="Classification.WeightedF1"/>).
    /// </summary>
    public static BinarySentimentScores Binary(float[] truth, int[] predPositive)
    {
        ArgumentNullException.ThrowIfNull(truth); ArgumentNullException.ThrowIfNull(predPositive);
        Classification.CheckSameLength(truth.Length, predPositive.Length);
        for (int i = 0; i < predPositive.Length; i++)
            if (predPositive[i] is not (0 or 1))
                throw new ArgumentException($"predPositive[{i}] = {predPositive[i]}: expected 0 (negative) or 1 (positive)", nameof(predPositive));
        var has0Truth = truth.Select(t => t >= 0 ? 1 : 0).ToArray();
        return Score(truth, has0Truth, predPositive, predPositive);
    }

    /// <summary>
    /// MMSA's regression metrics from predicted scores (MMSA <c>__eval_mosi_regression</c> semantics):
    /// has0: (truth &gt;= 0) vs (pred &gt;= 0); non0: truth != 0 only, (truth &gt; 0) vs (pred &gt; 0) — so a prediction of
    /// exactly 0 counts positive in has0 and negative in non0.
    /// Acc-5 = mean[round(clip(pred,-2,2)) == round(clip(truth,-2,2))], Acc-7 the same with [-3,3];
    /// round is half to even (numpy's np.round). MAE = mean|pred - truth|. Corr = Pearson r, NaN when either
    /// side is constant (zero variance: correlation undefined). Empty input gives NaN everywhere.
    /// </summary>
    public static SentimentScores Regression(float[] truth, float[] predScore)
    {
        ArgumentNullException.ThrowIfNull(truth); ArgumentNullException.ThrowIfNull(predScore);
        Classification.CheckSameLength(truth.Length, predScore.Length);
        for (int i = 0; i < predScore.Length; i++)
            if (!float.IsFinite(predScore[i])) throw new ArgumentException($"predScore[{i}] = {predScore[i]} is not finite", nameof(predScore));
        var binary = Score(truth,
            truth.Select(t => t >= 0 ? 1 : 0).ToArray(), predScore.Select(p => p >= 0 ? 1 : 0).ToArray(),
            predScore.Select(p => p > 0 ? 1 : 0).ToArray());
        int n = truth.Length;
        double acc5 = n == 0 ? double.NaN : MulticlassAcc(truth, predScore, 2);
        double acc7 = n == 0 ? double.NaN : MulticlassAcc(truth, predScore, 3);
        double mae = n == 0 ? double.NaN : truth.Zip(predScore, (t, p) => Math.Abs((double)p - t)).Average();
        return new SentimentScores(binary, acc5, acc7, mae, Pearson(truth, predScore));
    }

    /// <summary>
    /// Metrics for a K-class classifier's predicted classes: K=2 gives the binary set only (<see cref="Binary"/>);
    /// K=3 or K=7 maps each class to its score with <see cref="ClassToScore"/> and gives the full regression set.
    /// </summary>
    public static IReadOnlyList<MetricValue> FromClasses(float[] truth, int[] predClass, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(predClass);
        if (numClasses == 2) return Binary(truth, predClass).ToMetrics();
        var scores = predClass.Select(c => ClassToScore(c, numClasses)).ToArray();
        return Regression(truth, scores).ToMetrics();
    }

    /// <summary>K=2: 0 → -1, 1 → +1 (sign only); K=3: 0,1,2 → -1, 0, +1; K=7: c → c - 3.</summary>
    public static float ClassToScore(int cls, int numClasses)
    {
        CheckK(numClasses);
        if (cls < 0 || cls >= numClasses)
            throw new ArgumentException($"class {cls} is outside 0..{numClasses - 1} for a {numClasses}-class sentiment model", nameof(cls));
        return numClasses switch { 2 => cls == 1 ? 1f : -1f, 3 => cls - 1, _ => cls - 3 };
    }

    /// <summary>
    /// The training label of a score. K=2: score &gt;= 0 → 1 (has0 split); K=3: &lt;0 → 0, 0 → 1, &gt;0 → 2;
    /// K=7: round-half-even(clip(score, -3, 3)) + 3.
    /// </summary>
    public static int ScoreToClass(float score, int numClasses)
    {
        CheckK(numClasses);
        if (!float.IsFinite(score)) throw new ArgumentException($"sentiment score {score} is not finite", nameof(score));
        return numClasses switch
        {
            2 => score >= 0 ? 1 : 0,
            3 => score < 0 ? 0 : score == 0 ? 1 : 2,
            _ => (int)Math.Round(Math.Clamp((double)score, -3, 3), MidpointRounding.ToEven) + 3,
        };
    }

    /// <summary>Pearson r = cov(x,y) / (sd(x)·sd(y)); NaN when n &lt; 2 or either side has zero variance.</summary>
    public static double Pearson(float[] x, float[] y)
    {
        Classification.CheckSameLength(x.Length, y.Length);
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mx = x.Average(v => (double)v), my = y.Average(v => (double)v), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    static void CheckK(int k)
    {
        if (k is not (2 or 3 or 7))
            throw new ArgumentException($"numClasses = {k}: sentiment models have 2, 3 or 7 classes", nameof(k));
    }

    static double MulticlassAcc(float[] truth, float[] pred, double bound)
    {
        int hit = 0;
        for (int i = 0; i < truth.Length; i++)
            if (RoundClip(truth[i], bound) == RoundClip(pred[i], bound)) hit++;
        return (double)hit / truth.Length;
    }

    static double RoundClip(float v, double bound) => Math.Round(Math.Clamp((double)v, -bound, bound), MidpointRounding.ToEven);

    static BinarySentimentScores Score(float[] truth, int[] has0Truth, int[] has0Pred, int[] non0PredAll)
    {
        var keep = Enumerable.Range(0, truth.Length).Where(i => truth[i] != 0).ToArray();
        var non0Truth = keep.Select(i => truth[i] > 0 ? 1 : 0).ToArray();
        var non0Pred = keep.Select(i => non0PredAll[i]).ToArray();
        return new BinarySentimentScores(truth.Length, keep.Length,
            Classification.Accuracy(has0Truth, has0Pred), Classification.WeightedF1(has0Truth, has0Pred),
            Classification.Accuracy(non0Truth, non0Pred), Classification.WeightedF1(non0Truth, non0Pred));
    }
}
