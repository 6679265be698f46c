using CorrKD.Evaluation.Metrics;
using Xunit;

namespace CorrKD.Tests.Evaluation.Metrics;

// Hand-worked values, cross-checked with sklearn 1.2.1 and numpy 1.24 (np.round, np.clip, np.corrcoef).
public class SentimentMetricsTests
{
    [Fact]
    public void Binary_Has0AndNon0Conventions()
    {
        float[] truth = [-1.2f, 0f, 0.4f, 2.0f, -0.6f, 0f];
        int[] pred = [0, 1, 0, 1, 1, 0];
        var s = SentimentMetrics.Binary(truth, pred);
        // has0 truth (>= 0): 0 1 1 1 0 1 vs pred 0 1 0 1 1 0 -> right at 0,1,3 -> acc 3/6
        // class 0 (support 2): TP 1, FP 2, FN 1 -> 2/5; class 1 (support 4): TP 2, FP 1, FN 2 -> 4/7
        // F1 = (2*0.4 + 4*4/7)/6 = 0.5142857...
        Assert.Equal(6, s.N);
        Assert.Equal(0.5, s.Acc2Has0, 12);
        Assert.Equal((2 * 0.4 + 4 * 4.0 / 7) / 6, s.F1Has0, 12);
        // non0 keeps samples 0,2,3,4: truth (> 0) 0 1 1 0 vs pred 0 0 1 1 -> acc 2/4;
        // both classes TP 1, FP 1, FN 1 -> F1 1/2 each -> weighted 1/2
        Assert.Equal(4, s.NNon0);
        Assert.Equal(0.5, s.Acc2Non0, 12);
        Assert.Equal(0.5, s.F1Non0, 12);
    }

    [Fact]
    public void Binary_AllLabelsZero_Non0IsNaN_Has0StillDefined()
    {
        var s = SentimentMetrics.Binary([0f, 0f, 0f], [1, 1, 0]);
        Assert.Equal(0, s.NNon0);
        Assert.True(double.IsNaN(s.Acc2Non0));
        Assert.True(double.IsNaN(s.F1Non0));
        // has0: all truths positive, 2 of 3 predicted positive -> acc 2/3, F1 of class 1: TP 2 FN 1 -> 4/5
        Assert.Equal(2.0 / 3, s.Acc2Has0, 12);
        Assert.Equal(0.8, s.F1Has0, 12);
    }

    [Fact]
    public void Binary_RejectsNonBinaryPredictions()
    {
        var e = Assert.Throws<ArgumentException>(() => SentimentMetrics.Binary([1f, -1f], [1, 2]));
        Assert.Contains("predPositive[1] = 2", e.Message);
    }

    [Fact]
    public void Regression_FullMmsaSet()
    {
        float[] truth = [-2.6f, -0.5f, 0f, 1.5f, 2.5f, 0.2f];
        float[] pred = [-2.2f, 0.0f, 0.3f, 2.5f, 1.6f, -0.2f];
        var s = SentimentMetrics.Regression(truth, pred);
        // has0: truth>=0 0 0 1 1 1 1, pred>=0 0 1 1 1 1 0 -> acc 4/6.
        //   class 0 (2): TP 1 FP 1 FN 1 -> 1/2; class 1 (4): TP 3 FP 1 FN 1 -> 3/4; F1 = (1 + 3)/6 = 2/3
        Assert.Equal(2.0 / 3, s.Binary.Acc2Has0, 12);
        Assert.Equal(2.0 / 3, s.Binary.F1Has0, 12);
        // non0 drops sample 2; truth>0 0 0 1 1 1, pred>0 0 0 1 1 0 (pred 0.0 is negative here, positive in has0)
        //   acc 4/5; class 0 (2): TP 2 FP 1 -> 4/5; class 1 (3): TP 2 FN 1 -> 4/5; F1 = 4/5
        Assert.Equal(0.8, s.Binary.Acc2Non0, 12);
        Assert.Equal(0.8, s.Binary.F1Non0, 12);
        // Acc-7: round-half-even(clip(.,-3,3)): truth -3 0 0 2 2 0 (-0.5 -> 0, 2.5 -> 2), pred -2 0 0 2 2 0 -> 5/6
        Assert.Equal(5.0 / 6, s.Acc7, 12);
        // Acc-5: clip to [-2,2] first: truth -2 0 0 2 2 0, pred -2 0 0 2 2 0 -> 6/6
        Assert.Equal(1.0, s.Acc5, 12);
        // MAE: (0.4 + 0.5 + 0.3 + 1.0 + 0.9 + 0.4)/6 = 3.5/6 (float inputs: ~1e-7 off)
        Assert.Equal(3.5 / 6, s.Mae, 6);
        // numpy: np.corrcoef(pred, truth)[0,1] = 0.9208032587...
        Assert.Equal(0.9208032587, s.Corr, 6);
        Assert.Equal(
            ["acc2_has0", "f1_has0", "acc2_non0", "f1_non0", "acc5", "acc7", "mae", "corr"],
            s.ToMetrics().Select(m => m.Metric));
    }

    [Fact]
    public void Pearson_HandExample_AndConstantSideIsNaN()
    {
        // x 1 2 3, y 1 3 2: deviations -1 0 1 / -1 1 0 -> Sxy 1, Sxx 2, Syy 2 -> r = 1/2
        Assert.Equal(0.5, SentimentMetrics.Pearson([1f, 2f, 3f], [1f, 3f, 2f]), 12);
        // constant predictions: zero variance, correlation undefined
        Assert.True(double.IsNaN(SentimentMetrics.Pearson([1f, 2f, 3f], [0.5f, 0.5f, 0.5f])));
        Assert.True(double.IsNaN(SentimentMetrics.Regression([1f, -1f], [0.5f, 0.5f]).Corr));
    }

    [Fact]
    public void ConstantPrediction_F1WellDefined()
    {
        // all predicted positive; has0 truth 0 1 1 1 -> class 0 never predicted (F1 0), class 1 F1 6/7 -> 9/14
        var s = SentimentMetrics.Regression([-1f, 1f, 2f, 0.5f], [1f, 1f, 1f, 1f]);
        Assert.Equal(9.0 / 14, s.Binary.F1Has0, 12);
        Assert.Equal(0.75, s.Binary.Acc2Has0, 12);
    }

    [Theory]
    [InlineData(-2.6f, 3, 0)]
    [InlineData(0f, 3, 1)]
    [InlineData(0.2f, 3, 2)]
    [InlineData(-0.2f, 2, 0)]
    [InlineData(0f, 2, 1)]
    [InlineData(2.5f, 7, 5)] // round half to even: 2.5 -> 2 -> class 5
    [InlineData(-0.5f, 7, 3)] // -0.5 -> 0 -> class 3
    [InlineData(3.4f, 7, 6)] // clipped to 3
    public void ScoreToClass_Mapping(float score, int k, int expected) =>
        Assert.Equal(expected, SentimentMetrics.ScoreToClass(score, k));

    [Fact]
    public void FromClasses_SevenClassMapsToScores()
    {
        // classes 0..6 -> scores -3..3; truth exactly on the integers -> every metric perfect, MAE 0
        float[] truth = [-3f, -1f, 0f, 2f];
        var m = SentimentMetrics.FromClasses(truth, [0, 2, 3, 5], 7).ToDictionary(v => v.Metric, v => v.Value);
        Assert.Equal(1.0, m["acc7"], 12);
        Assert.Equal(0.0, m["mae"], 12);
        Assert.Equal(1.0, m["f1_non0"], 12);
        // K=2 gives only the binary metrics
        Assert.Equal(4, SentimentMetrics.FromClasses(truth, [0, 0, 1, 1], 2).Count);
        Assert.Throws<ArgumentException>(() => SentimentMetrics.FromClasses(truth, [0, 0, 1, 7], 7));
    }

    [Fact]
    public void Headline_PerDataset()
    {
        Assert.Equal("f1_non0", Headline.For("MOSI"));
        Assert.Equal("f1_non0", Headline.For("mosei"));
        Assert.Equal("f1", Headline.For("IEMOCAP"));
        Assert.Equal("f1_avg", Headline.EmotionAverage);
        Assert.Throws<ArgumentException>(() => Headline.For("SIMS"));
    }
}
