using CorrKD.Reporting;
using Plotly.NET;

namespace CorrKD.Notebooks;

/// <summary>
/// Result views for the notebooks beside the charts (which are <see cref="Charts"/>', the same the reports draw; the
/// notebooks pass the constant-predictor level, <see cref="ConstantPredictor"/>, as each chart's floor line).
/// </summary>
public static class ResultCharts
{
    /// <summary>The forest plot's rows as a table, in the plot's order (mean and 95% CI in points; paired-t, sign-flip and Holm-adjusted p).</summary>
    public static HtmlView ForestTable(IReadOnlyList<PairedComparison> comparisons) =>
        Charts.ForestOrder(comparisons).Select(c => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["comparison"] = Charts.ForestLabel(c), ["n"] = c.Result.N, ["mean diff"] = 100 * c.Result.MeanDiff,
            ["95% CI"] = $"[{NumberText.Plain(100 * c.Result.CiLow)}, {NumberText.Plain(100 * c.Result.CiHigh)}]", ["p (t)"] = c.Result.PValue, ["p (sign-flip)"] = c.Result.PPermutation, ["p (Holm)"] = c.PHolm,
        }).AsHtml(decimals: 3);
}
