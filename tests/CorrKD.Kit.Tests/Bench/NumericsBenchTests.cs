using CorrKD.Bench;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Tests.Bench;

/// <summary>The numerics harness's comparison logic (bench e). No timed assertions.</summary>
public class NumericsBenchTests
{
    [Fact]
    public void A_NaN_inserted_into_a_correct_conv_output_is_counted_and_fails_the_comparison()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(7, CPU);
        var x = randn(new long[] { 3, 5, 9 }, generator: gen);
        var w = randn(new long[] { 4, 5, 3 }, generator: gen);
        var y = F.conv1d(x, w, padding: 1);
        var reference = NumericsBench.ConvRef(x.to(ScalarType.Float64), w.to(ScalarType.Float64));

        var clean = Comparison.Of(y, reference);
        Assert.Equal(0, clean.NonFinite);
        Assert.True(clean.Ok(NumericsBench.RelTolerance), $"clean conv rel err {clean.MaxRel}");

        var corrupted = y.clone();
        corrupted[1, 2, 4] = tensor(float.NaN);
        var bad = Comparison.Of(corrupted, reference);
        Assert.Equal(1, bad.NonFinite);
        Assert.Equal(y.numel(), bad.Elements);
        Assert.False(bad.Ok(NumericsBench.RelTolerance));
        Assert.True(double.IsPositiveInfinity(bad.MaxAbs));
        // Merging keeps the failure: a clean trial does not hide a corrupted one.
        Assert.False(clean.Merge(bad).Ok(NumericsBench.RelTolerance));
        Assert.Equal(1, clean.Merge(bad).NonFinite);
    }

    [Fact]
    public void A_finite_but_wrong_value_fails_on_relative_error_and_infinity_counts_as_non_finite()
    {
        using var scope = NewDisposeScope();
        var reference = tensor(new double[] { 1, -2, 4 });
        var off = tensor(new float[] { 1, -2, 4.01f });   // |err| 0.01 over max |r| 4: rel 2.5e-3
        var c = Comparison.Of(off, reference);
        Assert.Equal(0, c.NonFinite);
        Assert.Equal(0.01, c.MaxAbs, 5);
        Assert.Equal(0.0025, c.MaxRel, 5);
        Assert.False(c.Ok(NumericsBench.RelTolerance));
        Assert.Equal(1, Comparison.Of(tensor(new float[] { 1, float.PositiveInfinity, 4 }), reference).NonFinite);
        Assert.Throws<ArgumentException>(() => Comparison.Of(tensor(new float[] { 1, 2 }), reference));
    }

    [Fact]
    public void Replayed_dropout_mask_reproduces_fused_attention_and_a_wrong_mask_does_not()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3, CPU);
        var q = randn(new long[] { 2, 3, 6, 4 }, generator: gen);
        var k = randn(new long[] { 2, 3, 6, 4 }, generator: gen);
        var v = randn(new long[] { 2, 3, 6, 4 }, generator: gen);
        var (o, mask) = NumericsBench.Fused(q, k, v, 0.3, dropSeed: 11);
        Assert.NotNull(mask);
        var (q64, k64, v64) = (q.to(ScalarType.Float64), k.to(ScalarType.Float64), v.to(ScalarType.Float64));
        Assert.True(Comparison.Of(o, NumericsBench.AttentionRef(q64, k64, v64, mask)).Ok(NumericsBench.RelTolerance));
        // Without the mask (or with another seed's) the same output is far off: the check can tell masks apart.
        Assert.False(Comparison.Of(o, NumericsBench.AttentionRef(q64, k64, v64, null)).Ok(NumericsBench.RelTolerance));
    }
}
