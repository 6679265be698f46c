using CorrKD.Evaluation.Metrics;
using Xunit;

namespace CorrKD.Tests.Evaluation.Metrics;

// Every expected value below was worked by hand and agrees with sklearn 1.2.1 f1_score(average="weighted").
public class ClassificationTests
{
    [Fact]
    public void WeightedF1_WeighsPerClassF1BySupportOfTheTrueClass()
    {
        // truth 0 0 0 1 1, pred 0 0 1 1 0
        // class 0: TP 2, FP 1, FN 1 -> F1 = 4/6 = 2/3, support 3
        // class 1: TP 1, FP 1, FN 1 -> F1 = 2/4 = 1/2, support 2
        // weighted = (3*2/3 + 2*1/2) / 5 = 3/5
        int[] truth = [0, 0, 0, 1, 1], pred = [0, 0, 1, 1, 0];
        Assert.Equal(0.6, Classification.WeightedF1(truth, pred), 12);
        Assert.Equal(0.6, Classification.Accuracy(truth, pred), 12);
    }

    [Fact]
    public void WeightedF1_ArgumentOrderMatters_TruthFirst()
    {
        // Swapping gives supports from the predictions: pred 0 0 1 1 0 has 3 zeros, 2 ones -> same here, so use
        // an asymmetric case: truth 0 1 1 1, pred 1 1 1 1 (see ConstantPrediction): f1(pred, truth) would weigh
        // class 1 by 4 and give 6/7, the inflated figure of the swapped-argument bug.
        int[] truth = [0, 1, 1, 1], pred = [1, 1, 1, 1];
        Assert.NotEqual(6.0 / 7, Classification.WeightedF1(truth, pred), 6);
        Assert.Equal(6.0 / 7, Classification.WeightedF1(pred, truth), 12);
    }

    [Fact]
    public void WeightedF1_ClassOnlyPredicted_HasZeroWeight()
    {
        // truth 0 0 1, pred 2 0 1: class 0 TP 1 FN 1 -> 2/3 (support 2); class 1 -> 1 (support 1);
        // class 2 never true -> weight 0, but its false positive cost class 0 its recall.
        // weighted = (2*2/3 + 1*1) / 3 = 7/9
        Assert.Equal(7.0 / 9, Classification.WeightedF1([0, 0, 1], [2, 0, 1]), 12);
    }

    [Fact]
    public void WeightedF1_ConstantPrediction_NeverPredictedClassScoresZero()
    {
        // truth 0 1 1 1, pred all 1: class 0 never predicted -> F1 0 (support 1);
        // class 1: TP 3, FP 1, FN 0 -> 6/7 (support 3); weighted = 3*(6/7)/4 = 9/14
        Assert.Equal(9.0 / 14, Classification.WeightedF1([0, 1, 1, 1], [1, 1, 1, 1]), 12);
    }

    [Fact]
    public void WeightedF1_OnlyOneClassInTruth_IsThatClassF1()
    {
        // truth 1 1, pred 1 0: class 1 TP 1 FN 1 -> 2/3 with all the weight; class 0 has support 0.
        Assert.Equal(2.0 / 3, Classification.WeightedF1([1, 1], [1, 0]), 12);
        Assert.Equal(1.0, Classification.WeightedF1([1, 1], [1, 1]), 12);
    }

    [Fact]
    public void EmptyInput_IsNaN_NotAnException()
    {
        Assert.True(double.IsNaN(Classification.WeightedF1([], [])));
        Assert.True(double.IsNaN(Classification.Accuracy([], [])));
    }

    [Fact]
    public void MisalignedInput_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Classification.WeightedF1([0, 1], [0]));
        Assert.Contains("2 samples", e.Message);
    }
}
