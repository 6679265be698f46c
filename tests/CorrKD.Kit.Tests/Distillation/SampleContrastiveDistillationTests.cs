using CorrKD.Distillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

public class SampleContrastiveDistillationTests
{
    [Fact]
    public void TwoSamplesInOneDimension_MatchHandComputedValueAndGradient()
    {
        using var scope = NewDisposeScope();
        // h^s = (0, 1), h^t = (0.5, 1), eta = 1, no normalisation.
        // Positive: d_11 = 0.5, d_22 = 0 -> (0.25 + 0) / 2 = 0.125.
        // Negative: d_12 = |0 - 1| = 1 -> hinge 0; d_21 = |1 - 0.5| = 0.5 -> hinge 0.5^2 = 0.25; / (2*1) = 0.125.
        var hS = tensor(new float[] { 0, 1 }).reshape(2, 1).requires_grad_(true);
        var hT = tensor(new float[] { 0.5f, 1 }).reshape(2, 1);
        var loss = SampleContrastiveDistillation.Loss(hS, hT, margin: 1.0, normalize: false);
        TensorAssert.Close(0.25, loss, "L_SCD");

        // dL/dh^s_1 = (h^s_1 - h^t_1) = -0.5 (positive part);
        // dL/dh^s_2 = 0 (positive, d_22 = 0) + d/dh [(1 - |h - 0.5|)^2 / 2] = -(1 - 0.5) = -0.5.
        loss.backward();
        TensorAssert.Close(tensor(new float[] { -0.5f, -0.5f }).reshape(2, 1), hS.grad!, "dL/dh^s");
    }

    [Fact]
    public void UnsquaredOption_UsesPlainDistanceAndHinge()
    {
        using var scope = NewDisposeScope();
        // Same tensors as above: positive (0.5 + 0) / 2 = 0.25; negative (0 + 0.5) / 2 = 0.25.
        var hS = tensor(new float[] { 0, 1 }).reshape(2, 1);
        var hT = tensor(new float[] { 0.5f, 1 }).reshape(2, 1);
        TensorAssert.Close(0.5, SampleContrastiveDistillation.Loss(hS, hT, margin: 1.0, normalize: false, squared: false), "L_SCD unsquared");
    }

    [Fact]
    public void Normalisation_MakesTheLossScaleInvariant()
    {
        using var scope = NewDisposeScope();
        // With L2-normalisation only directions matter: scaling every row leaves L unchanged.
        var hS = tensor(new float[] { 1, 2, -1, 0.5f, 3, -2 }).reshape(3, 2);
        var hT = tensor(new float[] { 2, 1, 0, 1, 1, -1 }).reshape(3, 2);
        var a = SampleContrastiveDistillation.Loss(hS, hT);
        var b = SampleContrastiveDistillation.Loss(hS * 7.0, hT * 0.25);
        TensorAssert.Close(a.ToDouble(), b, "L_SCD after rescaling");
        // Without it, rescaling does change the loss.
        Assert.NotEqual(SampleContrastiveDistillation.Loss(hS, hT, normalize: false).ToDouble(),
            SampleContrastiveDistillation.Loss(hS * 7.0, hT, normalize: false).ToDouble(), 3);
    }

    [Fact]
    public void MatchesPyTorchReference_ValueAndGradient()
    {
        foreach (var c in DistillationReference.Root.GetProperty("scd").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var name = c.GetProperty("name").GetString();
            var (hS, hT, _, _, _) = DistillationReference.Inputs(c.GetProperty("input").GetString()!);
            hS.requires_grad_(true);
            var loss = SampleContrastiveDistillation.Loss(hS, hT, c.GetProperty("margin").GetDouble(),
                c.GetProperty("normalize").GetBoolean(), c.GetProperty("squared").GetBoolean());
            TensorAssert.Close(c.GetProperty("loss").GetDouble(), loss, $"scd[{name}] value");
            loss.backward();
            TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_hS")), hS.grad!, $"scd[{name}] dL/dh^s");
        }
    }

    [Fact]
    public void BatchOfOne_IsThePositiveTermOnly()
    {
        using var scope = NewDisposeScope();
        // N = 1: no negative pairs, so L = d_11^2 = |(3,4) - (0,0)|^2 = 25, not NaN from 0 / 0.
        var hS = tensor(new float[] { 3, 4 }).reshape(1, 2).requires_grad_(true);
        var loss = SampleContrastiveDistillation.Loss(hS, zeros(1, 2), normalize: false);
        TensorAssert.Close(25.0, loss, "L_SCD, N = 1");
        loss.backward();
        TensorAssert.Close(tensor(new float[] { 6, 8 }).reshape(1, 2), hS.grad!, "dL/dh^s = 2 (h^s - h^t)");
        // With normalisation as well.
        var h1 = randn(1, 4).requires_grad_(true);
        var l1 = SampleContrastiveDistillation.Loss(h1, randn(1, 4));
        l1.backward();
        TensorAssert.AllFinite(l1, "L_SCD N = 1 normalised");
        TensorAssert.AllFinite(h1.grad!, "dL/dh^s N = 1 normalised");
    }

    [Fact]
    public void GradientIsFinite_WhenStudentEqualsTeacher()
    {
        using var scope = NewDisposeScope();
        var hT = randn(4, 3);
        foreach (var normalize in new[] { true, false })
        foreach (var squared in new[] { true, false })
        {
            // Zero distance on the diagonal (d_ii = 0) ...
            var hS = hT.clone().requires_grad_(true);
            var loss = SampleContrastiveDistillation.Loss(hS, hT, normalize: normalize, squared: squared);
            loss.backward();
            TensorAssert.AllFinite(hS.grad!, $"grad, h^s == h^t (normalize={normalize}, squared={squared})");
            // ... and off the diagonal (h^s_i == h^t_j, i != j), where the hinge takes sqrt at 0.
            var swapped = hT.index_select(0, tensor(new long[] { 1, 0, 3, 2 })).requires_grad_(true);
            var loss2 = SampleContrastiveDistillation.Loss(swapped, hT, normalize: normalize, squared: squared);
            loss2.backward();
            TensorAssert.AllFinite(loss2, "L_SCD with h^s_i == h^t_j");
            TensorAssert.AllFinite(swapped.grad!, $"grad, h^s_i == h^t_j (normalize={normalize}, squared={squared})");
        }
    }

    [Fact]
    public void TeacherGetsNoGradient()
    {
        using var scope = NewDisposeScope();
        var hS = randn(5, 4).requires_grad_(true);
        var hT = randn(5, 4).requires_grad_(true);
        SampleContrastiveDistillation.Loss(hS, hT).backward();
        Assert.NotNull(hS.grad);
        Assert.Null(hT.grad);
    }

    [Fact]
    public void PermutingTheBatchConsistently_LeavesTheLossUnchanged()
    {
        using var scope = NewDisposeScope();
        // Both sums run over all i and all pairs i != j: relabelling samples only reorders the terms.
        var (hS, hT, _, _, _) = DistillationReference.Inputs("K4");
        var perm = tensor(new long[] { 4, 2, 5, 0, 3, 1 });
        var a = SampleContrastiveDistillation.Loss(hS, hT);
        var b = SampleContrastiveDistillation.Loss(hS.index_select(0, perm), hT.index_select(0, perm));
        TensorAssert.Close(a.ToDouble(), b, "L_SCD permuted");
        // Permuting only the student breaks the pairing and must change the loss.
        Assert.NotEqual(a.ToDouble(), SampleContrastiveDistillation.Loss(hS.index_select(0, perm), hT).ToDouble(), 3);
    }

    [Fact]
    public void MismatchedShapes_AreRejectedWithTheShapes()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => SampleContrastiveDistillation.Loss(randn(4, 3), randn(4, 2)));
        Assert.Contains("[4,3]", e.Message);
        Assert.Contains("[4,2]", e.Message);
        Assert.Throws<ArgumentException>(() => SampleContrastiveDistillation.Loss(randn(4), randn(4)));
    }
}
