namespace CorrKD.Evaluation.Metrics;

/// <summary>One emotion's one-vs-rest scores: accuracy and weighted F1 of (truth == c) vs (pred == c).</summary>
public sealed record EmotionScore(string Emotion, int Support, double Accuracy, double F1);

/// <summary>
/// IEMOCAP scores. PerEmotion: one entry per class in classNames order. OverallAccuracy: multi-class accuracy.
/// MacroF1 (= f1_avg) and MacroAccuracy: unweighted means over the emotions.
/// </summary>
public sealed record EmotionScores(IReadOnlyList<EmotionScore> PerEmotion, double OverallAccuracy, double MacroAccuracy, double MacroF1)
{
    /// <summary>Per emotion: acc, f1; then emotion "": acc (overall multi-class) and f1_avg.</summary>
    public IReadOnlyList<MetricValue> ToMetrics() =>
    [
        .. PerEmotion.SelectMany(e => new MetricValue[] { new(e.Emotion, MetricNames.Acc, e.Accuracy), new(e.Emotion, MetricNames.F1, e.F1) }),
        new("", MetricNames.Acc, OverallAccuracy), new("", MetricNames.F1Avg, MacroF1),
    ];
}

/// <summary>IEMOCAP metrics from a multi-class emotion classifier.</summary>
public static class EmotionMetrics
{
    /// <summary>
    /// For each class c: binarise y_c = [truth == c], ŷ_c = [pred == c] and report accuracy(y_c, ŷ_c) and
    /// sklearn weighted F1(y_c, ŷ_c), as the MulT lineage scores IEMOCAP per emotion (there each emotion had its
    /// own binary head; with one 4-way head the binary prediction is "argmax == c"). Weighted F1 here weighs the
    /// "is c" and "is not c" classes by their true support, so it is dominated by the majority (not-c) side.
    /// Empty input gives NaN everywhere.
    /// </summary>
    public static EmotionScores PerEmotion(int[] truth, int[] pred, string[] classNames)
    {
        ArgumentNullException.ThrowIfNull(truth); ArgumentNullException.ThrowIfNull(pred); ArgumentNullException.ThrowIfNull(classNames);
        Classification.CheckSameLength(truth.Length, pred.Length);
        if (classNames.Length < 2) throw new ArgumentException($"need at least 2 emotion classes, got {classNames.Length}", nameof(classNames));
        int k = classNames.Length;
        for (int i = 0; i < truth.Length; i++)
        {
            if ((uint)truth[i] >= (uint)k) throw new ArgumentException($"truth[{i}] = {truth[i]} is not a class index 0..{k - 1} ({string.Join(", ", classNames)})", nameof(truth));
            if ((uint)pred[i] >= (uint)k) throw new ArgumentException($"pred[{i}] = {pred[i]} is not a class index 0..{k - 1} ({string.Join(", ", classNames)})", nameof(pred));
        }
        var per = new List<EmotionScore>(k);
        for (int c = 0; c < k; c++)
        {
            int cc = c;
            var yc = truth.Select(t => t == cc ? 1 : 0).ToArray();
            var pc = pred.Select(p => p == cc ? 1 : 0).ToArray();
            per.Add(new EmotionScore(classNames[c], yc.Sum(), Classification.Accuracy(yc, pc), Classification.WeightedF1(yc, pc)));
        }
        return new EmotionScores(per, Classification.Accuracy(truth, pred),
            per.Average(e => e.Accuracy), per.Average(e => e.F1));
    }
}
