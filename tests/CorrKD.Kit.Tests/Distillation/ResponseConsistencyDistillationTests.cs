using CorrKD.Distillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

public class ResponseConsistencyDistillationTests
{
    private static void ZeroParameters(nn.Module m)
    {
        using var _ = no_grad();
        foreach (var p in m.parameters()) p.zero_();
    }

    [Fact]
    public void TargetPart_IsTrueClassProbabilityAndItsComplement()
    {
        using var scope = NewDisposeScope();
        // softmax(0, ln3) = (1/4, 3/4); y = 1 -> b = (3/4, 1/4). With tau = 2 and doubled logits: the same.
        var z = tensor(new float[] { 0, (float)Math.Log(3) }).reshape(1, 2);
        var expected = tensor(new float[] { 0.75f, 0.25f }).reshape(1, 2);
        TensorAssert.Close(expected, ResponseConsistencyDistillation.TargetPart(z, tensor(new long[] { 1 }), 1.0), "b, tau = 1");
        TensorAssert.Close(expected, ResponseConsistencyDistillation.TargetPart(z * 2.0, tensor(new long[] { 1 }), 2.0), "b, tau = 2");
    }

    [Fact]
    public void NonTargetPart_IsSoftmaxOverTheOtherClassesInIndexOrder()
    {
        using var scope = NewDisposeScope();
        // Row 0: z = (ln3, 7, 0), y = 1 -> the non-target logits (ln3, 0) -> (3/4, 1/4).
        // Row 1: z = (0, 0, ln3), y = 0 -> (0, ln3) -> (1/4, 3/4). The target's logit (7) plays no part.
        float l3 = (float)Math.Log(3);
        var z = tensor(new float[] { l3, 7, 0, 0, 0, l3 }).reshape(2, 3);
        var q = ResponseConsistencyDistillation.NonTargetPart(z, tensor(new long[] { 1, 0 }), 1.0);
        TensorAssert.Close(tensor(new float[] { 0.75f, 0.25f, 0.25f, 0.75f }).reshape(2, 2), q, "q");
    }

    [Fact]
    public void ZeroStatisticsNetwork_GivesMinusTwoLog2PerPart()
    {
        using var scope = NewDisposeScope();
        // T = 0 everywhere: MI_JSD = -softplus(0) - softplus(0) = -2 ln 2, whatever the inputs.
        // K = 4, w_t = 1, w_nt = 0.5: L = -(1 + 0.5)(-2 ln 2) = 3 ln 2.
        var rcd = new ResponseConsistencyDistillation(4, targetWeight: 1.0, nonTargetWeight: 0.5, hiddenSize: 3);
        ZeroParameters(rcd);
        var terms = rcd.Compute(randn(5, 4), randn(5, 4), tensor(new long[] { 0, 1, 2, 3, 0 }), new Generator(1));
        TensorAssert.Close(-2 * Math.Log(2), terms.TargetMi, "MI target");
        TensorAssert.Close(-2 * Math.Log(2), terms.NonTargetMi, "MI non-target");
        TensorAssert.Close(3 * Math.Log(2), terms.Loss, "L_RCD");
    }

    [Fact]
    public void TwoClasses_NonTargetPartIsExactlyZeroAndFlagged()
    {
        using var scope = NewDisposeScope();
        var rcd = new ResponseConsistencyDistillation(2);
        Assert.False(rcd.NonTargetPartActive);
        Assert.Null(rcd.NonTargetStatistics);
        Assert.Contains("inactive", rcd.InactiveNote);
        Assert.Equal(4, rcd.parameters().Count());   // only the target part's network: 2 Linear layers x (weight, bias)

        var zS = randn(8, 2).requires_grad_(true);
        var terms = rcd.Compute(zS, randn(8, 2), tensor(new long[] { 0, 1, 1, 0, 1, 0, 0, 1 }), new Generator(3));
        Assert.Equal(0.0, terms.NonTargetMi.ToDouble());                      // exactly, not approximately
        Assert.Equal(-terms.TargetMi.ToDouble(), terms.Loss.ToDouble(), 6);   // L = -(w_t MI_t) only
        terms.Loss.backward();
        TensorAssert.AllFinite(zS.grad!, "dL/dz^s, K = 2");
    }

    [Fact]
    public void FourClasses_NonTargetPartIsActiveAndFollowsTheNonTargetLogits()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var rcd = new ResponseConsistencyDistillation(4);
        Assert.True(rcd.NonTargetPartActive);
        Assert.Null(rcd.InactiveNote);
        var y = tensor(new long[] { 0, 1, 2, 3, 0, 1 });
        var zT = randn(6, 4);
        var zS = randn(6, 4);
        var perm = tensor(new long[] { 1, 2, 3, 4, 5, 0 });
        var a = rcd.Compute(zS, zT, y, perm).NonTargetMi.ToDouble();
        Assert.NotEqual(0.0, a);
        // Changing only the student's non-target logits (its target logits stay) changes q^s and MI(q^t, q^s).
        var isTarget = nn.functional.one_hot(y, 4).to(ScalarType.Bool);
        var zS2 = where(isTarget, zS, randn(6, 4) * 3.0);
        var terms2 = rcd.Compute(zS2, zT, y, perm);
        Assert.NotEqual(a, terms2.NonTargetMi.ToDouble(), 4);
        Assert.False(ResponseConsistencyDistillation.NonTargetPart(zS, y, 1.0).allclose(ResponseConsistencyDistillation.NonTargetPart(zS2, y, 1.0)));
    }

    [Fact]
    public void MatchesPyTorchReference_ValuesAndGradients()
    {
        foreach (var c in DistillationReference.Root.GetProperty("rcd").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var input = c.GetProperty("input").GetString()!;
            int k = c.GetProperty("num_classes").GetInt32();
            double tau = c.GetProperty("tau").GetDouble();
            string what = $"rcd[{input}, tau={tau}]";
            var rcd = new ResponseConsistencyDistillation(k, tau, c.GetProperty("w_t").GetDouble(), c.GetProperty("w_nt").GetDouble(),
                c.GetProperty("hidden").GetInt32());
            DistillationReference.LoadInto(rcd.TargetStatistics, c.GetProperty("target_net"));
            if (rcd.NonTargetStatistics is { } nt) DistillationReference.LoadInto(nt, c.GetProperty("non_target_net"));
            Assert.Equal(k > 2, rcd.NonTargetPartActive);

            var (_, _, zS, zT, y) = DistillationReference.Inputs(input);
            zS.requires_grad_(true);
            var perm = TensorAssert.FromJson(c.GetProperty("perm"), ScalarType.Int64);
            var terms = rcd.Compute(zS, zT, y, perm);
            TensorAssert.Close(c.GetProperty("target_mi").GetDouble(), terms.TargetMi, $"{what} MI target");
            TensorAssert.Close(c.GetProperty("non_target_mi").GetDouble(), terms.NonTargetMi, $"{what} MI non-target");
            TensorAssert.Close(c.GetProperty("loss").GetDouble(), terms.Loss, $"{what} loss");

            terms.Loss.backward();
            TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_zS")), zS.grad!, $"{what} dL/dz^s");
            DistillationReference.AssertGradients(rcd.TargetStatistics, c.GetProperty("grad_target_net"), $"{what} target net");
            if (rcd.NonTargetStatistics is { } nt2)
                DistillationReference.AssertGradients(nt2, c.GetProperty("grad_non_target_net"), $"{what} non-target net");
        }
    }

    [Fact]
    public void SameGeneratorSeed_GivesTheSameShuffleAndValue()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var rcd = new ResponseConsistencyDistillation(4);
        var zS = randn(16, 4);
        var zT = randn(16, 4);
        var y = randint(0, 4, new long[] { 16 });
        var a = rcd.Compute(zS, zT, y, new Generator(42)).Loss.ToDouble();
        var b = rcd.Compute(zS, zT, y, new Generator(42)).Loss.ToDouble();
        Assert.Equal(a, b);
        // The overload with an explicit permutation reproduces the generator's draw.
        var perm = randperm(16, generator: new Generator(42));
        Assert.Equal(a, rcd.Compute(zS, zT, y, perm).Loss.ToDouble());
    }

    [Fact]
    public void BatchOfOne_IsFiniteForTwoAndFourClasses()
    {
        using var scope = NewDisposeScope();
        foreach (var k in new[] { 2, 4 })
        {
            var rcd = new ResponseConsistencyDistillation(k);
            var zS = randn(1, k).requires_grad_(true);
            var terms = rcd.Compute(zS, randn(1, k), tensor(new long[] { k - 1 }), new Generator(0));
            TensorAssert.AllFinite(terms.Loss, $"L_RCD, N = 1, K = {k}");
            terms.Loss.backward();
            TensorAssert.AllFinite(zS.grad!, $"dL/dz^s, N = 1, K = {k}");
        }
    }

    [Fact]
    public void StudentEqualToTeacher_HasFiniteGradients()
    {
        using var scope = NewDisposeScope();
        var rcd = new ResponseConsistencyDistillation(4);
        var zT = randn(6, 4);
        var zS = zT.clone().requires_grad_(true);
        rcd.Compute(zS, zT, tensor(new long[] { 0, 1, 2, 3, 3, 2 }), new Generator(9)).Loss.backward();
        TensorAssert.AllFinite(zS.grad!, "dL/dz^s, z^s == z^t");
        foreach (var (name, p) in rcd.named_parameters()) TensorAssert.AllFinite(p.grad!, $"d/d{name}");
    }

    [Fact]
    public void TeacherGetsNoGradient_StatisticsNetworksDo()
    {
        using var scope = NewDisposeScope();
        var rcd = new ResponseConsistencyDistillation(3);
        var zS = randn(5, 3).requires_grad_(true);
        var zT = randn(5, 3).requires_grad_(true);
        rcd.Compute(zS, zT, tensor(new long[] { 0, 1, 2, 1, 0 }), new Generator(2)).Loss.backward();
        Assert.NotNull(zS.grad);
        Assert.Null(zT.grad);
        Assert.All(rcd.parameters(), p => Assert.NotNull(p.grad));
        Assert.Equal(8, rcd.parameters().Count());   // two statistics networks x 2 Linear x (weight, bias)
    }

    [Fact]
    public void TrainingTheStatisticsNetworks_RaisesTheMutualInformationEstimate()
    {
        using var scope = NewDisposeScope();
        // Student == teacher: joint pairs (x_i, x_i) differ from shuffled pairs (x_i, x_pi(i)), so a trained critic
        // separates them and -L_RCD = MI_t + MI_nt rises from about 2 x (-2 ln 2) (uninformed critics) towards 0.
        // This is why the statistics networks must be in the optimizer.
        manual_seed(123);
        var rcd = new ResponseConsistencyDistillation(4, hiddenSize: 16);
        var z = randn(64, 4) * 2.0;
        var y = randint(0, 4, new long[] { 64 });
        var opt = optim.Adam(rcd.parameters(), lr: 1e-2);
        var g = new Generator(7);
        double Estimate() { using var _ = no_grad(); return -rcd.Compute(z, z, y, new Generator(99)).Loss.ToDouble(); }
        double before = Estimate();
        for (int step = 0; step < 150; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            rcd.Compute(z, z, y, g).Loss.backward();
            opt.step();
        }
        double after = Estimate();
        Console.WriteLine($"RCD MI estimate, student == teacher: {before:F3} before, {after:F3} after 150 Adam steps");
        Assert.True(after > before + 0.3, $"MI estimate {before:F3} -> {after:F3}: expected a clear increase");
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new ResponseConsistencyDistillation(1));
        var rcd = new ResponseConsistencyDistillation(3);
        var y = tensor(new long[] { 0, 1, 2 });
        var e = Assert.Throws<ArgumentException>(() => rcd.Compute(randn(3, 4), randn(3, 4), y, new Generator(0)));
        Assert.Contains("K=3", e.Message);
        Assert.Throws<ArgumentException>(() => rcd.Compute(randn(3, 3), randn(3, 3), y, tensor(new long[] { 0, 0, 1 })));
    }
}
