using CorrKD.Data;
using CorrKD.Data.Missing;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Missing;

public class RandomMissingSamplerTests
{
    private static Tensor[] Batch(int b, int t = 5) => new[] { 1 + rand(b, t, 3), 1 + rand(b, t, 2), 1 + rand(b, t, 4) };

    /// <summary>
    /// Uniform over 7 sets, B = 70000: each share has sd sqrt((1/7)(6/7)/70000) = 0.0013; band +-0.0066 is 5 sd.
    /// Each sample's output matches its set: missing modalities are all-zero rows.
    /// </summary>
    [Fact]
    public void SetsAreDrawnUniformlyAndApplied()
    {
        using var scope = NewDisposeScope();
        var sampler = new RandomMissingSampler(new RandomMissingOptions { FrameDropProbability = 0 });
        var x = Batch(70000, 2);
        var y = sampler.Apply(x, new Generator(11), out var k);
        for (int s = 0; s < 7; s++) Assert.InRange(k.Count(v => v == s) / 70000.0, 1 / 7.0 - 0.0066, 1 / 7.0 + 0.0066);
        for (int m = 0; m < 3; m++)
        {
            var rowZero = y[m].abs().sum(new long[] { 1, 2 }).eq(0).data<bool>().ToArray();
            for (int i = 0; i < 2000; i++) Assert.Equal(!Availability.All[(int)k[i]].Has((Modality)m), rowZero[i]);
        }
    }

    [Fact]
    public void SameGeneratorSeedReproducesAndInputIsNeverModified()
    {
        using var scope = NewDisposeScope();
        var sampler = new RandomMissingSampler(new RandomMissingOptions());
        var x = Batch(256); var copy = x.Select(t => t.clone()).ToArray();
        var a = sampler.Apply(x, new Generator(5)); var b = sampler.Apply(x, new Generator(5)); var c = sampler.Apply(x, new Generator(6));
        for (int m = 0; m < 3; m++)
        {
            Assert.True(a[m].equal(b[m]).all().item<bool>());
            Assert.True(x[m].equal(copy[m]).all().item<bool>(), "input modified");
        }
        Assert.False(a[0].equal(c[0]).all().item<bool>() && a[1].equal(c[1]).all().item<bool>() && a[2].equal(c[2]).all().item<bool>());
    }

    /// <summary>Complete set only, always drop, r fixed at 0.3 (MinRate = MaxRate): 0.3 of 20000*5*3 frames, sd 0.0011.</summary>
    [Fact]
    public void FrameDroppingFollowsTheRate()
    {
        using var scope = NewDisposeScope();
        var only = new RandomMissingOptions { SetWeights = new double[] { 0, 0, 0, 0, 0, 0, 1 }, FrameDropProbability = 1, MinRate = 0.3, MaxRate = 0.3 };
        var x = Batch(20000);
        var y = new RandomMissingSampler(only).Apply(x, new Generator(1));
        double dropped = y.Sum(t => t.abs().sum(2).eq(0).sum().item<long>()) / (20000.0 * 5 * 3);
        Assert.InRange(dropped, 0.295, 0.305);
        // Never dropping and always complete: the output equals the input.
        var none = new RandomMissingSampler(only with { FrameDropProbability = 0 }).Apply(x, new Generator(1));
        for (int m = 0; m < 3; m++) Assert.True(none[m].equal(x[m]).all().item<bool>());
        Assert.Throws<ArgumentException>(() => new RandomMissingSampler(new RandomMissingOptions { SetWeights = new double[] { 1, 1 } }));
    }
}
