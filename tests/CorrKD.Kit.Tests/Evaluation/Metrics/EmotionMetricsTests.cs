using CorrKD.Evaluation.Metrics;
using Xunit;

namespace CorrKD.Tests.Evaluation.Metrics;

public class EmotionMetricsTests
{
    static readonly string[] Names = ["happy", "sad", "angry", "neutral"];

    [Fact]
    public void PerEmotion_OneVsRest_HandWorked()
    {
        int[] truth = [0, 0, 1, 2, 3, 3], pred = [0, 1, 1, 2, 3, 0];
        var s = EmotionMetrics.PerEmotion(truth, pred, Names);
        // overall: right at 0,2,3,4 -> 4/6
        Assert.Equal(4.0 / 6, s.OverallAccuracy, 12);
        // happy: y 1 1 0 0 0 0, yhat 1 0 0 0 0 1 -> acc 4/6;
        //   "is happy" (2): TP 1 FP 1 FN 1 -> 1/2; "not happy" (4): TP 3 FP 1 FN 1 -> 3/4; F1 = (1 + 3)/6
        Assert.Equal(4.0 / 6, s.PerEmotion[0].Accuracy, 12);
        Assert.Equal(4.0 / 6, s.PerEmotion[0].F1, 12);
        // sad: y 0 0 1 0 0 0, yhat 0 1 1 0 0 0 -> acc 5/6; "is" (1): 2/3; "not" (5): TP 4 FN 1 -> 8/9
        //   F1 = (2/3 + 5*8/9)/6 = 46/54
        Assert.Equal(5.0 / 6, s.PerEmotion[1].Accuracy, 12);
        Assert.Equal(46.0 / 54, s.PerEmotion[1].F1, 12);
        // angry: perfect
        Assert.Equal(1.0, s.PerEmotion[2].F1, 12);
        // neutral: y 0 0 0 0 1 1, yhat 0 0 0 0 1 0 -> "is" (2): 2/3; "not" (4): TP 4 FP 1 -> 8/9; F1 = 44/54
        Assert.Equal(44.0 / 54, s.PerEmotion[3].F1, 12);
        // f1_avg = (36 + 46 + 54 + 44)/54/4 = 5/6
        Assert.Equal(5.0 / 6, s.MacroF1, 12);
        Assert.Equal("neutral", s.PerEmotion[3].Emotion);
        Assert.Equal(2, s.PerEmotion[3].Support);
        var rows = s.ToMetrics();
        Assert.Equal(10, rows.Count);
        Assert.Equal(46.0 / 54, rows.Single(r => r.Emotion == "sad" && r.Metric == "f1").Value, 12);
        Assert.Equal(5.0 / 6, rows.Single(r => r.Emotion == "" && r.Metric == "f1_avg").Value, 12);
        Assert.Equal(4.0 / 6, rows.Single(r => r.Emotion == "" && r.Metric == "acc").Value, 12);
    }

    [Fact]
    public void PerEmotion_ClassNeverPresent_StillScored()
    {
        // no "angry" anywhere: one-vs-rest truth all 0, predictions all 0 -> acc 1, F1 1
        var s = EmotionMetrics.PerEmotion([0, 1], [0, 1], Names);
        Assert.Equal(1.0, s.PerEmotion[2].F1, 12);
        Assert.Equal(0, s.PerEmotion[2].Support);
    }

    [Fact]
    public void PerEmotion_BadIndex_NamesTheSample()
    {
        var e = Assert.Throws<ArgumentException>(() => EmotionMetrics.PerEmotion([0, 4], [0, 1], Names));
        Assert.Contains("truth[1] = 4", e.Message);
    }
}
