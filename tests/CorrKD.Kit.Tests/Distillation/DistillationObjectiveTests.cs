using CorrKD.Distillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

public class DistillationObjectiveTests
{
    private const int D = 5;

    private static (Tensor hS, Tensor zS, Tensor hT, Tensor zT, Tensor y) Batch(int n, int k)
    {
        manual_seed(17);
        var y = arange(n, dtype: ScalarType.Int64) % k;
        return (randn(n, D).requires_grad_(true), randn(n, k).requires_grad_(true),
            randn(n, D).requires_grad_(true), randn(n, k).requires_grad_(true), y);
    }

    [Fact]
    public void VariantNames_AreThePapersAblationsAndTheBaselines()
    {
        Assert.Equal(new[] { "corrkd", "wo-scd", "wo-cpd", "rcd-kl", "no-kd", "kd" }, DistillationVariants.Names);
        var e = Assert.Throws<ArgumentException>(() => DistillationObjective.ForVariant("corkd", DistillationOptions.Default, 2, D));
        foreach (var name in DistillationVariants.Names) Assert.Contains(name, e.Message);
        Assert.Contains("corkd", e.Message);
        Assert.Equal("wo-scd", DistillationObjective.ForVariant(" WO-SCD ", DistillationOptions.Default, 2, D).Variant);
    }

    [Theory]
    // variant   task scd  cpd  rcd  kl
    [InlineData("corrkd", 1, 1, 1, 1, 0)]
    [InlineData("wo-scd", 1, 0, 1, 1, 0)]
    [InlineData("wo-cpd", 1, 1, 0, 1, 0)]
    [InlineData("rcd-kl", 1, 1, 1, 0, 1)]
    [InlineData("no-kd", 1, 0, 0, 0, 0)]
    [InlineData("kd", 1, 0, 0, 0, 1)]
    public void EachVariant_ComputesExactlyItsTerms(string variant, double task, double scd, double cpd, double rcd, double kl)
    {
        using var scope = NewDisposeScope();
        var objective = DistillationObjective.ForVariant(variant, DistillationOptions.Default, 4, D);
        Assert.Equal(new DistillationWeights(task, scd, cpd, rcd, kl), objective.Weights);
        Assert.Equal(rcd != 0, objective.Rcd is not null);
        Assert.Equal(rcd != 0 ? 8 : 0, objective.parameters().Count());   // only RCD has parameters

        var (hS, zS, hT, zT, y) = Batch(8, 4);
        var l = objective.Compute(hS, zS, hT, zT, y, new Generator(1));
        // Unused terms are reported as exactly 0; used ones are non-zero on random data.
        foreach (var (w, t, name) in new[] { (scd, l.Scd, "scd"), (cpd, l.Cpd, "cpd"), (rcd, l.Rcd, "rcd"), (kl, l.Kl, "kl") })
            if (w == 0) Assert.True(t.ToDouble() == 0.0, $"{variant}: {name} should be 0");
            else Assert.True(t.ToDouble() != 0.0, $"{variant}: {name} should be computed");
        // Total = sum of the used terms (all weights 1).
        double sum = l.Task.ToDouble() + l.Scd.ToDouble() + l.Cpd.ToDouble() + l.Rcd.ToDouble() + l.Kl.ToDouble();
        TensorAssert.Close(sum, l.Total, $"{variant}: total");
        TensorAssert.Close(nn.functional.cross_entropy(zS, y).ToDouble(), l.Task, $"{variant}: task = CE on the student's logits");
    }

    [Fact]
    public void KlTemperature_IsTheKdTauForKdAndTheRcdTauForTheAblation()
    {
        var o = DistillationOptions.Default with { RcdTemperature = 1.5 };
        Assert.Equal(2.0, DistillationObjective.ForVariant("kd", o, 2, D).KlTemperature);
        Assert.Equal(1.5, DistillationObjective.ForVariant("rcd-kl", o, 2, D).KlTemperature);
    }

    [Fact]
    public void Lambdas_WeightTheTotal()
    {
        using var scope = NewDisposeScope();
        var o = DistillationOptions.Default with { LambdaTask = 0.5, LambdaScd = 2, LambdaCpd = 3, LambdaRcd = 0.25 };
        var objective = DistillationObjective.ForVariant("corrkd", o, 3, D);
        var (hS, zS, hT, zT, y) = Batch(6, 3);
        var l = objective.Compute(hS, zS, hT, zT, y, new Generator(4));
        double expected = 0.5 * l.Task.ToDouble() + 2 * l.Scd.ToDouble() + 3 * l.Cpd.ToDouble() + 0.25 * l.Rcd.ToDouble();
        TensorAssert.Close(expected, l.Total, "weighted total");
        var values = l.ToValues();
        Assert.Equal(DistillationLosses.TermNames, values.Keys);
        Assert.Equal(l.Scd.ToDouble(), values["scd"]);
    }

    [Fact]
    public void MatchesPyTorchReference_CorrKdTotalAndGradients()
    {
        using var scope = NewDisposeScope();
        var c = DistillationReference.Root.GetProperty("objective");
        var objective = DistillationObjective.ForVariant("corrkd", DistillationOptions.Default with { RcdHiddenSize = c.GetProperty("hidden").GetInt32() }, 4, D);
        DistillationReference.LoadInto(objective.Rcd!.TargetStatistics, c.GetProperty("target_net"));
        DistillationReference.LoadInto(objective.Rcd!.NonTargetStatistics!, c.GetProperty("non_target_net"));
        var (hS, hT, zS, zT, y) = DistillationReference.Inputs("K4");
        hS.requires_grad_(true);
        zS.requires_grad_(true);
        var l = objective.Compute(hS, zS, hT, zT, y, TensorAssert.FromJson(c.GetProperty("perm"), ScalarType.Int64));
        foreach (var (name, t) in new[] { ("task", l.Task), ("scd", l.Scd), ("cpd", l.Cpd), ("rcd", l.Rcd), ("total", l.Total) })
            TensorAssert.Close(c.GetProperty(name).GetDouble(), t, $"objective {name}");
        l.Total.backward();
        TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_hS")), hS.grad!, "dL/dh^s");
        TensorAssert.Close(TensorAssert.FromJson(c.GetProperty("grad_zS")), zS.grad!, "dL/dz^s");
    }

    [Theory]
    [InlineData("corrkd")]
    [InlineData("rcd-kl")]
    [InlineData("kd")]
    public void TeacherGetsNoGradient_EvenWithoutNoGrad(string variant)
    {
        using var scope = NewDisposeScope();
        var objective = DistillationObjective.ForVariant(variant, DistillationOptions.Default, 3, D);
        var (hS, zS, hT, zT, y) = Batch(6, 3);
        objective.Compute(hS, zS, hT, zT, y, new Generator(0)).Total.backward();
        Assert.NotNull(zS.grad);
        Assert.Null(hT.grad);
        Assert.Null(zT.grad);
    }

    [Fact]
    public void TwoClasses_CorrKdSaysTheRcdNonTargetPartIsInactive()
    {
        var k2 = DistillationObjective.ForVariant("corrkd", DistillationOptions.Default, 2, D);
        Assert.False(k2.Rcd!.NonTargetPartActive);
        Assert.Single(k2.Notes);
        Assert.Contains("K=2", k2.Notes[0]);
        Assert.Empty(DistillationObjective.ForVariant("corrkd", DistillationOptions.Default, 4, D).Notes);
        Assert.Empty(DistillationObjective.ForVariant("kd", DistillationOptions.Default, 2, D).Notes);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void BatchOfOne_EveryTermIsFinite(int k)
    {
        using var scope = NewDisposeScope();
        foreach (var variant in DistillationVariants.Names)
        {
            var objective = DistillationObjective.ForVariant(variant, DistillationOptions.Default, k, D);
            var (hS, zS, hT, zT, y) = Batch(1, k);
            var l = objective.Compute(hS, zS, hT, zT, y, new Generator(0));
            foreach (var (name, v) in l.ToValues()) Assert.True(double.IsFinite(v), $"{variant}, K={k}, N=1: {name} = {v}");
            l.Total.backward();
            TensorAssert.AllFinite(hS.grad ?? zeros(1), $"{variant}: dL/dh^s");
            TensorAssert.AllFinite(zS.grad!, $"{variant}: dL/dz^s");
        }
    }

    [Fact]
    public void WrongShapes_AreRejectedWithAClearMessage()
    {
        using var scope = NewDisposeScope();
        var objective = DistillationObjective.ForVariant("corrkd", DistillationOptions.Default, 3, D);
        var (hS, zS, hT, zT, y) = Batch(6, 3);
        var g = new Generator(0);
        Assert.Contains("hiddenDim", Assert.Throws<ArgumentException>(() => objective.Compute(randn(6, 7), zS, randn(6, 7), zT, y, g)).Message);
        Assert.Contains("K = 3", Assert.Throws<ArgumentException>(() => objective.Compute(hS, randn(6, 4), hT, randn(6, 4), y, g)).Message);
        Assert.Contains("batch sizes", Assert.Throws<ArgumentException>(() => objective.Compute(hS, randn(5, 3), hT, randn(5, 3), y, g)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => objective.Compute(hS, zS, hT, zT, y.to(ScalarType.Float32), g)).Message);
        Assert.Contains("ScdMargin", Assert.Throws<ArgumentException>(() =>
            DistillationObjective.ForVariant("corrkd", DistillationOptions.Default with { ScdMargin = -1 }, 3, D)).Message);
    }
}
