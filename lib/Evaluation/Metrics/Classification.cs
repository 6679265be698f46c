namespace CorrKD.Evaluation.Metrics;

/// <summary>
/// Label-level accuracy and F1 with scikit-learn 1.2's semantics, so numbers match the Python lineage exactly.
/// Empty inputs give NaN (no samples means "not defined", e.g. every label was zero in the non0 convention);
/// they never throw, because a whole evaluation should not fail on one empty subset.
/// </summary>
public static class Classification
{
    /// <summary>acc = #{i : truth_i = pred_i} / n; NaN when n = 0.</summary>
    public static double Accuracy(ReadOnlySpan<int> truth, ReadOnlySpan<int> pred)
    {
        CheckSameLength(truth.Length, pred.Length);
        if (truth.Length == 0) return double.NaN;
        int hit = 0;
        for (int i = 0; i < truth.Length; i++) if (truth[i] == pred[i]) hit++;
        return (double)hit / truth.Length;
    }

    /// <summary>
    /// sklearn <c>f1_score(truth, pred, average="weighted")</c>:
    /// F1_w = Σ_c (support_c / n) · F1_c, F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c), over c in labels(truth) ∪ labels(pred).
    /// support_c counts TRUE labels, so a class only ever predicted weighs 0 (its false positives still lower the
    /// precision of nothing, but they lower recall of the true classes). A class never predicted has F1_c = 0
    /// (sklearn's zero_division=0 default, with its warning). Argument order matters: f1(truth, pred), never swapped.
    /// NaN when n = 0.
    /// </summary>
    public static double WeightedF1(ReadOnlySpan<int> truth, ReadOnlySpan<int> pred)
    {
        CheckSameLength(truth.Length, pred.Length);
        if (truth.Length == 0) return double.NaN;
        var tp = new Dictionary<int, int>(); var fp = new Dictionary<int, int>(); var support = new Dictionary<int, int>();
        for (int i = 0; i < truth.Length; i++)
        {
            Inc(support, truth[i]);
            if (truth[i] == pred[i]) Inc(tp, truth[i]); else Inc(fp, pred[i]);
        }
        double sum = 0;
        foreach (var (c, s) in support)
        {
            int t = tp.GetValueOrDefault(c), f = fp.GetValueOrDefault(c), fn = s - t;
            double f1 = t == 0 ? 0.0 : 2.0 * t / (2.0 * t + f + fn);
            sum += s * f1;
        }
        return sum / truth.Length;
    }

    static void Inc(Dictionary<int, int> d, int k) => d[k] = d.GetValueOrDefault(k) + 1;

    internal static void CheckSameLength(int truth, int pred)
    {
        if (truth != pred)
            throw new ArgumentException($"truth has {truth} samples but predictions have {pred}: they must be aligned one to one");
    }
}
