using CorrKD.Data;
using CorrKD.Notebooks;
using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Notebooks;

/// <summary>The notebook helpers whose numbers a chart or table shows.</summary>
public class NotebookHelperTests
{
    /// <summary>
    /// Always predicting the majority class of the non-zero labels (share p) gives that class precision p and recall 1,
    /// so F1 2p/(1+p), and the minority class F1 0: weighted F1 = p · 2p/(1+p). It is not 50, and it is what the dashed
    /// line of every f1_non0 chart shows.
    /// </summary>
    [Fact]
    public void ConstantPredictorLevelIsTheMajorityClassWeightedF1()
    {
        using var data = DatasetRegistry.Load("synthetic-mosi-tiny", 0);
        var nonZero = data.Test.Labels.Where(y => y != 0).ToArray();
        double positive = nonZero.Count(y => y > 0) / (double)nonZero.Length;
        double p = Math.Max(positive, 1 - positive);
        var level = ConstantPredictor.Level("synthetic-mosi-tiny@0", Tables.SentimentHeadline);
        Assert.NotNull(level);
        Assert.Equal(p * 2 * p / (1 + p), level!.Value, 9);
    }

    [Fact]
    public void DatasetLabelsSplitIntoNameAndDataSeed()
    {
        Assert.Equal(("synthetic-mosi", 1), ConstantPredictor.Split("synthetic-mosi@1"));
        Assert.Equal(("synthetic-mosi", 0), ConstantPredictor.Split("synthetic-mosi"));
    }

    /// <summary>The forest plot and its table list the same rows in the same order: teacher comparisons first.</summary>
    [Fact]
    public void ForestTableFollowsThePlotOrder()
    {
        PairedComparison C(string b, string cond) => new("synthetic-mosi@0", "inter", cond, "", "f1_non0", "corrkd", b, new[] { 0, 1, 2 },
            PairedStatistics.Test(new[] { 0.8, 0.7, 0.75 }, new[] { 0.6, 0.65, 0.7 }), 1.0);
        var comparisons = new[] { C("no-kd", "avg"), C("kd", "avg"), C("teacher", "avg"), C("no-kd", "lav") };
        var order = Charts.ForestOrder(comparisons);
        Assert.Equal(new[] { "teacher", "no-kd", "kd", "no-kd" }, order.Select(c => c.VariantB));
        var html = ResultCharts.ForestTable(comparisons).Html;
        int teacher = html.IndexOf("corrkd − teacher", StringComparison.Ordinal), noKd = html.IndexOf("corrkd − no-kd, Avg", StringComparison.Ordinal),
            kd = html.IndexOf("corrkd − kd, Avg", StringComparison.Ordinal);
        Assert.True(teacher >= 0 && teacher < noKd && noKd < kd, html);
    }
}
