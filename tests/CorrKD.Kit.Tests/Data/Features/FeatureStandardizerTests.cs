using CorrKD.Data;
using CorrKD.Data.Missing;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Features;

/// <summary>
/// Standardisation (features.standardize): statistics per dimension from the training split's real frames only,
/// applied to every split, with every missing (all-zero) frame still exactly +0 afterwards.
/// </summary>
public sealed class FeatureStandardizerTests
{
    /// <summary>Per-dimension mean and population sd over the frames of x with any non-zero value, by plain loops.</summary>
    static (double[] Mean, double[] Sd, long Frames) ByHand(Tensor x)
    {
        long n = x.shape[0], t = x.shape[1], d = x.shape[2];
        var v = x.contiguous().data<float>().ToArray();
        var rows = new List<float[]>();
        for (long i = 0; i < n; i++)
            for (long k = 0; k < t; k++)
            {
                var row = new float[d];
                Array.Copy(v, (i * t + k) * d, row, 0, d);
                if (row.Any(e => e != 0)) rows.Add(row);
            }
        var mean = Enumerable.Range(0, (int)d).Select(j => rows.Average(r => (double)r[j])).ToArray();
        var sd = Enumerable.Range(0, (int)d).Select(j => Math.Sqrt(rows.Average(r => (r[j] - mean[j]) * (r[j] - mean[j])))).ToArray();
        return (mean, sd, rows.Count);
    }

    /// <summary>T = 4, zero-padded after each sample's length; sample 1 has no audio at all; valid and test are shifted
    /// far away (+100 / -50), so any statistic that saw them would be off by tens of units.</summary>
    static MsaDataset Padded()
    {
        var g = new Generator(11, CPU);
        MsaSplit Split(string name, int n, float shift)
        {
            var lengths = Enumerable.Range(0, n).Select(i => (long)(1 + i % 4)).ToArray();
            Tensor Mod(int d, float scale)
            {
                var x = randn(n, 4, d, generator: g) * scale + shift + 3f;
                for (int i = 0; i < n; i++) x[i, (int)lengths[i]..] = 0f;
                return x;
            }
            var a = Mod(3, 20f);
            a[1] = 0f;                                                       // a sample whose audio is missing
            return new MsaSplit(name, new[] { Mod(5, 0.35f), a, Mod(2, 1f) }, new[] { lengths, lengths, lengths },
                Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 1f : -1f).ToArray(), Enumerable.Range(0, n).Select(i => $"{name}{i}").ToArray());
        }
        return new MsaDataset("padded", "test:padded", TaskKind.Sentiment, Array.Empty<string>(),
            Split("train", 12, 0f), Split("valid", 6, 100f), Split("test", 6, -50f));
    }

    [Fact]
    public void StatisticsComeFromTheTrainingSplitsRealFramesOnly()
    {
        using var ds = Padded();
        var fit = FeatureStandardizer.Fit(ds.Train);
        Assert.Equal("train", fit.FittedOn);
        for (int m = 0; m < 3; m++)
        {
            var (mean, sd, frames) = ByHand(ds.Train.Modalities[m]);
            var st = fit.Modalities[m];
            Assert.Equal(frames, st.Frames);
            // 12 samples with lengths 1,2,3,4,...: 30 real frames (audio: 28, sample 1's two frames are missing).
            Assert.Equal(m == 1 ? 28 : 30, st.Frames);
            for (int j = 0; j < mean.Length; j++) { Assert.Equal(mean[j], st.Mean[j], 9); Assert.Equal(sd[j], st.Sd[j], 9); }
        }
        // Had valid (+100) or test (-50) leaked in, the pooled means would move by tens; had the padding zeros been
        // counted, the train mean (about 3) would shrink towards 0.
        var pooled = cat(ds.Splits.Select(s => s.Modalities[0]).ToList(), 0);
        var (leakedMean, _, _) = ByHand(pooled);
        Assert.True(Math.Abs(leakedMean[0] - fit.Modalities[0].Mean[0]) > 10, "valid/test frames must not enter the statistics");
        Assert.InRange(fit.Modalities[0].Mean.Average(), 2.5, 3.5);
    }

    [Fact]
    public void ValidAndTestAreScaledWithTrainStatistics()
    {
        using var ds = Padded();
        var fit = FeatureStandardizer.Fit(ds.Train);
        float rawValid = ds.Valid.Modalities[1][0, 0, 2].item<float>();
        fit.Apply(ds);
        var a = fit.Modalities[1];
        Assert.Equal((rawValid - a.Mean[2]) / a.Sd[2], ds.Valid.Modalities[1][0, 0, 2].item<float>(), 3);
        // Train real frames now have mean 0 and sd 1 per dimension; valid, 100 units away, is far from 0.
        var (mean, sd, _) = ByHand(ds.Train.Modalities[0]);
        Assert.All(mean, v => Assert.Equal(0, v, 5));
        Assert.All(sd, v => Assert.Equal(1, v, 4));
        Assert.True(ByHand(ds.Valid.Modalities[0]).Mean.All(v => v > 100));
    }

    [Fact]
    public void MissingFramesStayExactlyZero()
    {
        using var ds = Padded();
        var zeroBefore = ds.Splits.Select(s => s.Modalities.Select(x => x.eq(0).all(-1).clone()).ToArray()).ToArray();   // (N, T) per modality
        FeatureStandardizer.Fit(ds.Train).Apply(ds);
        var splits = ds.Splits.ToArray();
        for (int s = 0; s < 3; s++)
            for (int m = 0; m < 3; m++)
            {
                var x = splits[s].Modalities[m];
                var wasZero = zeroBefore[s][m];
                Assert.True(wasZero.any().item<bool>());
                // Every value of a frame that was all zeros is +0 (not -0: its bit pattern is 0) ...
                var values = x[wasZero];
                Assert.All(values.data<float>().ToArray(), v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
                // ... and every real frame is still real (non-zero somewhere), so lengths derived from zeros hold.
                Assert.True(x.ne(0).any(-1).eq(wasZero.logical_not()).all().item<bool>());
            }
        Assert.True(ds.Train.Modalities[1][1].eq(0).all().item<bool>());   // the sample without audio still has none

        // The missing-modality conditions applied after standardisation still feed zeros where data is missing.
        var x0 = CorrKD.Evaluation.Predictor.Gather(ds.Test, new long[] { 0, 1, 2, 3 }, CPU);
        var dropped = MissingModality.DropFrames(x0, 5, "test", new long[] { 0, 1, 2, 3 }, 1.0);
        Assert.All(dropped, t => Assert.True(t.eq(0).all().item<bool>()));
    }

    [Fact]
    public void TheInspectRuleFlagsTheRealMosiScaleAndNothingOnUnitScale()
    {
        using var scaled = ScaledAudioData.Make(nTrain: 3000, nValid: 8, nTest: 8);   // large enough for the pooled figures to settle
        var fit = FeatureStandardizer.Fit(scaled.Train);
        Assert.InRange(fit.Modalities[1].PooledMean, 2.2, 2.8);
        Assert.InRange(fit.Modalities[1].PooledSd, 21, 25);
        Assert.InRange(fit.Modalities[0].PooledSd, 0.3, 0.45);
        var w = fit.ScaleWarnings();
        var audio = Assert.Single(w, s => s.StartsWith("audio"));
        Assert.Contains("outside the unit-scale band", audio);
        Assert.Contains("the sd of language", audio);
        Assert.Contains("standardize", audio);
        Assert.DoesNotContain(w, s => s.StartsWith("vision"));           // sd 1: near unit scale, within 10x of text's 0.35
        fit.Apply(scaled);
        Assert.Empty(FeatureStandardizer.Fit(scaled.Train).ScaleWarnings());
    }

    [Fact]
    public void ADimensionFromAnotherDataSetIsRejectedWithItsName()
    {
        using var a = Padded();
        using var b = TestData.Sentiment();
        var e = Assert.Throws<ArgumentException>(() => FeatureStandardizer.Fit(a.Train).Apply(b.Train));
        Assert.Contains("Language", e.Message);
        Assert.Contains("feature dim 6", e.Message);
    }
}
