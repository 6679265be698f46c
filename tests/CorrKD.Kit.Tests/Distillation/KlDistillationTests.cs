using CorrKD.Distillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

public class KlDistillationTests
{
    [Fact]
    public void IdenticalDistributions_GiveZero()
    {
        using var scope = NewDisposeScope();
        var z = randn(4, 3);
        TensorAssert.Close(0.0, KlDistillation.Loss(z, z.clone()), "KL(p || p)", atol: 1e-6);
        // Softmax ignores a per-row shift, so shifted logits are the same distribution.
        TensorAssert.Close(0.0, KlDistillation.Loss(z + 5.0, z, temperature: 3.0), "KL of shifted logits", atol: 1e-6);
    }

    [Fact]
    public void HandComputedValue_BatchmeanAndTauSquared()
    {
        using var scope = NewDisposeScope();
        // Row 0: p^t = softmax(ln3, 0) = (3/4, 1/4), p^s = (1/2, 1/2):
        //   KL = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.1308120...; row 1 identical -> 0. batchmean: divide by N = 2.
        double kl = 0.75 * Math.Log(1.5) + 0.25 * Math.Log(0.5);
        var zS = zeros(2, 2);
        var zT = tensor(new float[] { (float)Math.Log(3), 0, 0, 0 }).reshape(2, 2);
        TensorAssert.Close(kl / 2, KlDistillation.Loss(zS, zT), "KL, tau = 1");
        // tau = 2 with doubled logits gives the same distributions; the tau^2 factor multiplies by 4.
        TensorAssert.Close(4 * kl / 2, KlDistillation.Loss(zS, zT * 2.0, temperature: 2.0), "KL, tau = 2");
    }

    [Fact]
    public void MatchesPyTorchKlDivBatchmean_ValueAndGradient()
    {
        foreach (var c in DistillationReference.Root.GetProperty("kl").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var input = c.GetProperty("input").GetString()!;
            double tau = c.GetProperty("tau").GetDouble();
            var (_, _, zS, zT, _) = DistillationReference.Inputs(input);
            zS.requires_grad_(true);
            var loss = KlDistillation.Loss(zS, zT, tau);
            TensorAssert.Close(c.GetProperty("loss").GetDouble(), loss, $"kl[{input}, tau={tau}] value");
            loss.backward();
            TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_zS")), zS.grad!, $"kl[{input}, tau={tau}] dL/dz^s");
        }
    }

    [Fact]
    public void BatchOfOne_IsFinite_AndTeacherGetsNoGradient()
    {
        using var scope = NewDisposeScope();
        var zS = randn(1, 4).requires_grad_(true);
        var zT = randn(1, 4).requires_grad_(true);
        var loss = KlDistillation.Loss(zS, zT, 2.0);
        TensorAssert.AllFinite(loss, "KL, N = 1");
        Assert.True(loss.ToDouble() >= 0, "KL is non-negative");
        loss.backward();
        TensorAssert.AllFinite(zS.grad!, "dKL/dz^s");
        Assert.Null(zT.grad);
    }

    [Fact]
    public void PermutingTheBatchConsistently_LeavesTheLossUnchanged()
    {
        using var scope = NewDisposeScope();
        var (_, _, zS, zT, _) = DistillationReference.Inputs("K4");
        var perm = tensor(new long[] { 5, 4, 3, 2, 1, 0 });
        TensorAssert.Close(KlDistillation.Loss(zS, zT).ToDouble(),
            KlDistillation.Loss(zS.index_select(0, perm), zT.index_select(0, perm)), "KL permuted");
    }
}
