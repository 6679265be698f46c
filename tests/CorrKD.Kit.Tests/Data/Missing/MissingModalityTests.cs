using CorrKD.Data;
using CorrKD.Data.Missing;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Missing;

public class MissingModalityTests
{
    private static Tensor[] Batch(int b = 4, int t = 6) => new[] { 1 + rand(b, t, 3), 1 + rand(b, t, 2), 1 + rand(b, t, 4) };
    private static long[] Idx(int n, int start = 0) => Enumerable.Range(start, n).Select(i => (long)i).ToArray();

    /// <summary>Each of the 7 sets keeps exactly its modalities (bit-equal) and zeros the others; the input is untouched.</summary>
    [Fact]
    public void AvailabilityZerosExactlyTheMissingModalities()
    {
        using var scope = NewDisposeScope();
        var x = Batch(); var copy = x.Select(t => t.clone()).ToArray();
        foreach (var a in Availability.All)
        {
            var y = MissingModality.ApplyAvailability(x, a);
            for (int m = 0; m < 3; m++)
            {
                if (a.Has((Modality)m)) Assert.True(y[m].equal(x[m]).all().item<bool>(), $"{a}: {(Modality)m} changed");
                else Assert.Equal(0f, y[m].abs().sum().item<float>());
                Assert.NotSame(x[m], y[m]);
            }
        }
        for (int m = 0; m < 3; m++) Assert.True(x[m].equal(copy[m]).all().item<bool>());
    }

    [Fact]
    public void MaskIsAPureFunctionOfSeedSplitIndexModality()
    {
        using var scope = NewDisposeScope();
        var idx = Idx(64);
        var a = MissingModality.FrameKeepMask(1, "test", idx, Modality.Audio, 50, 0.5);
        Assert.Equal(new long[] { 64, 50 }, a.shape);
        Assert.True(a.equal(MissingModality.FrameKeepMask(1, "test", idx, Modality.Audio, 50, 0.5)).all().item<bool>());
        foreach (var other in new[] {
            MissingModality.FrameKeepMask(2, "test", idx, Modality.Audio, 50, 0.5),
            MissingModality.FrameKeepMask(1, "valid", idx, Modality.Audio, 50, 0.5),
            MissingModality.FrameKeepMask(1, "test", Idx(64, 1), Modality.Audio, 50, 0.5),
            MissingModality.FrameKeepMask(1, "test", idx, Modality.Vision, 50, 0.5) })
            Assert.True(a.ne(other).sum().item<long>() > 1000, "a different key should give a different mask (about half of 3200 frames differ)");
        // Batch composition does not matter: sample 5 has the same mask alone or in any batch.
        var alone = MissingModality.FrameKeepMask(1, "test", new long[] { 5 }, Modality.Audio, 50, 0.5);
        Assert.True(alone[0].equal(a[5]).all().item<bool>());
        // The definition: dropped iff u < rate.
        for (int t = 0; t < 50; t++)
            Assert.Equal(MissingModality.FrameUniform(1, "test", 5, Modality.Audio, t) < 0.5 ? 0f : 1f, a[5, t].item<float>());
    }

    /// <summary>Dropped at rate r implies dropped at every r' &gt; r, because the same u is compared with both.</summary>
    [Fact]
    public void MasksAreNestedAcrossRates()
    {
        using var scope = NewDisposeScope();
        var idx = Idx(200);
        Tensor prev = ones(200, 50);
        foreach (var r in new[] { 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 })
        {
            var k = MissingModality.FrameKeepMask(9, "test", idx, Modality.Language, 50, r);
            Assert.True(k.le(prev).all().item<bool>(), $"rate {r} keeps a frame that a lower rate dropped");
            prev = k;
        }
    }

    /// <summary>B*T = 686*50 = 34300 Bernoulli(0.3) drops: sd of the share sqrt(0.21/34300) = 0.0025; band +-0.01 is 4 sd.</summary>
    [Fact]
    public void EmpiricalDropRateMatchesAndEndpointsAreExact()
    {
        using var scope = NewDisposeScope();
        var idx = Idx(686);
        var k = MissingModality.FrameKeepMask(0, "test", idx, Modality.Vision, 50, 0.3);
        Assert.InRange(1 - k.mean().item<float>(), 0.29, 0.31);
        Assert.Equal(1f, MissingModality.FrameKeepMask(0, "test", idx, Modality.Vision, 50, 0.0).min().item<float>());
        Assert.Equal(0f, MissingModality.FrameKeepMask(0, "test", idx, Modality.Vision, 50, 1.0).max().item<float>());
        Assert.Throws<ArgumentException>(() => MissingModality.FrameKeepMask(0, "test", idx, Modality.Vision, 50, 1.5));
    }

    [Fact]
    public void DropFramesZerosDroppedFramesAndKeepsTheRest()
    {
        using var scope = NewDisposeScope();
        var x = Batch(8, 10); var copy = x.Select(t => t.clone()).ToArray();
        var idx = Idx(8, 100);
        var y = MissingModality.DropFrames(x, 3, "test", idx, 0.4);
        for (int m = 0; m < 3; m++)
        {
            var keep = MissingModality.FrameKeepMask(3, "test", idx, (Modality)m, 10, 0.4).unsqueeze(-1);
            Assert.True(y[m].equal(x[m] * keep).all().item<bool>());
            Assert.True(x[m].equal(copy[m]).all().item<bool>(), "input modified");
        }
        // Only audio: language and vision come back unchanged.
        var onlyA = MissingModality.DropFrames(x, 3, "test", idx, 0.4, new[] { Modality.Audio });
        Assert.True(onlyA[0].equal(x[0]).all().item<bool>() && onlyA[2].equal(x[2]).all().item<bool>());
        Assert.True(onlyA[1].equal(y[1]).all().item<bool>());
        Assert.Throws<ArgumentException>(() => MissingModality.DropFrames(x, 3, "test", Idx(7), 0.4));
    }
}
