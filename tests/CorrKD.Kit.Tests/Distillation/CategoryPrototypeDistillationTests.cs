using CorrKD.Distillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

public class CategoryPrototypeDistillationTests
{
    private static Tensor Rows(params float[][] rows) => stack(rows.Select(r => tensor(r)).ToArray());
    private static Tensor Labels(params long[] y) => tensor(y);

    [Fact]
    public void TwoSamplesTwoClasses_MatchHandComputedValue()
    {
        using var scope = NewDisposeScope();
        // One sample per class, so each prototype is that sample.
        // Student (1,0), (0,1): M^s = [[1, 0], [0, 1]].
        // Teacher (1,0), (1,1): M^t = [[1, 1/sqrt2], [1/sqrt2, 1]].
        // Gaps^2: 0, 1/2, 1/2, 0 -> mean over 2 samples x 2 classes = 1/4; sum over classes, mean over samples = 1/2.
        var hS = Rows(new[] { 1f, 0 }, new[] { 0f, 1 });
        var hT = Rows(new[] { 1f, 0 }, new[] { 1f, 1 });
        var y = Labels(0, 1);
        TensorAssert.Close(0.25, CategoryPrototypeDistillation.Loss(hS, hT, y, 2), "L_CPD mean");
        TensorAssert.Close(0.5, CategoryPrototypeDistillation.Loss(hS, hT, y, 2, CpdReduction.SumOverClasses), "L_CPD sum");
    }

    [Fact]
    public void OneClassInTheBatch_UsesTheBatchMeanAsTheOnlyPrototype()
    {
        using var scope = NewDisposeScope();
        // y = (0, 0). Student (1,0), (0,1): prototype (0.5, 0.5), both cosines 1/sqrt2.
        // Teacher (1,0), (1,0): prototype (1, 0), both cosines 1. L = (1 - 1/sqrt2)^2, the one present class only
        // (class 1 is absent and skipped, so it does not dilute the mean).
        var hS = Rows(new[] { 1f, 0 }, new[] { 0f, 1 });
        var hT = Rows(new[] { 1f, 0 }, new[] { 1f, 0 });
        double expected = Math.Pow(1 - 1 / Math.Sqrt(2), 2);
        TensorAssert.Close(expected, CategoryPrototypeDistillation.Loss(hS, hT, Labels(0, 0), 2), "L_CPD, one class");
    }

    [Fact]
    public void AbsentClasses_DoNotChangeTheValue()
    {
        using var scope = NewDisposeScope();
        // Declaring more classes than the batch holds adds only absent classes, which are skipped.
        var hS = randn(5, 3);
        var hT = randn(5, 3);
        var y = Labels(0, 1, 1, 0, 1);
        var k2 = CategoryPrototypeDistillation.Loss(hS, hT, y, 2).ToDouble();
        TensorAssert.Close(k2, CategoryPrototypeDistillation.Loss(hS, hT, y, 6), "L_CPD with K = 6");
        TensorAssert.Close(k2 * 2, CategoryPrototypeDistillation.Loss(hS, hT, y, 6, CpdReduction.SumOverClasses), "sum = 2 present classes x mean");
    }

    [Fact]
    public void MatchesPyTorchReference_ValueAndGradient()
    {
        foreach (var c in DistillationReference.Root.GetProperty("cpd").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var input = c.GetProperty("input").GetString()!;
            var reduction = c.GetProperty("reduction").GetString() == "mean" ? CpdReduction.Mean : CpdReduction.SumOverClasses;
            var (hS, hT, _, _, y) = DistillationReference.Inputs(input);
            hS.requires_grad_(true);
            var loss = CategoryPrototypeDistillation.Loss(hS, hT, y, c.GetProperty("num_classes").GetInt32(), reduction);
            TensorAssert.Close(c.GetProperty("loss").GetDouble(), loss, $"cpd[{input},{reduction}] value");
            loss.backward();
            TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_hS")), hS.grad!, $"cpd[{input},{reduction}] dL/dh^s");
        }
    }

    [Fact]
    public void BatchOfOne_IsZeroWithFiniteGradient()
    {
        using var scope = NewDisposeScope();
        // A lone sample is its own prototype: cos = 1 for teacher and student, so L = 0.
        var hS = randn(1, 4).requires_grad_(true);
        var loss = CategoryPrototypeDistillation.Loss(hS, randn(1, 4), Labels(2), 3);
        TensorAssert.Close(0.0, loss, "L_CPD, N = 1");
        loss.backward();
        TensorAssert.AllFinite(hS.grad!, "dL/dh^s, N = 1");
    }

    [Fact]
    public void StudentEqualToTeacher_GivesZeroAndFiniteGradient()
    {
        using var scope = NewDisposeScope();
        var hT = randn(6, 4);
        var hS = hT.clone().requires_grad_(true);
        var loss = CategoryPrototypeDistillation.Loss(hS, hT, Labels(0, 1, 2, 0, 1, 2), 3);
        TensorAssert.Close(0.0, loss, "L_CPD, h^s == h^t");
        loss.backward();
        TensorAssert.AllFinite(hS.grad!, "dL/dh^s, h^s == h^t");
    }

    [Fact]
    public void TeacherGetsNoGradient()
    {
        using var scope = NewDisposeScope();
        var hS = randn(6, 4).requires_grad_(true);
        var hT = randn(6, 4).requires_grad_(true);
        CategoryPrototypeDistillation.Loss(hS, hT, Labels(0, 1, 0, 1, 1, 0), 2).backward();
        Assert.NotNull(hS.grad);
        Assert.Null(hT.grad);
    }

    [Fact]
    public void PermutingTheBatchConsistently_LeavesTheLossUnchanged()
    {
        using var scope = NewDisposeScope();
        // Prototypes are class means (order-free) and the loss averages over samples.
        var (hS, hT, _, _, y) = DistillationReference.Inputs("K4");
        var perm = tensor(new long[] { 3, 5, 1, 0, 2, 4 });
        var a = CategoryPrototypeDistillation.Loss(hS, hT, y, 4);
        var b = CategoryPrototypeDistillation.Loss(hS.index_select(0, perm), hT.index_select(0, perm), y.index_select(0, perm), 4);
        TensorAssert.Close(a.ToDouble(), b, "L_CPD permuted");
    }

    [Fact]
    public void BadLabels_AreRejected()
    {
        using var scope = NewDisposeScope();
        var h = randn(3, 2);
        var e = Assert.Throws<ArgumentException>(() => CategoryPrototypeDistillation.Loss(h, h, Labels(0, 1, 4), 3));
        Assert.Contains("[0, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => CategoryPrototypeDistillation.Loss(h, h, tensor(new float[] { 0, 1, 1 }), 3));
        Assert.Throws<ArgumentException>(() => CategoryPrototypeDistillation.Loss(h, h, Labels(0, 1), 3));
    }
}
