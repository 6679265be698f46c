using CorrKD.Data;
using CorrKD.Evaluation;
using CorrKD.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Model;

public class BackboneTests
{
    private static readonly ModelOptions Small = new() { HiddenDim = 8, Heads = 2, Layers = 1 };

    [Fact]
    public void ForwardReturnsJointLogitsAndPerModalityEncodings()
    {
        using var scope = NewDisposeScope();
        using var m = new CorrKDBackbone(new[] { 6, 3, 4 }, 2, Small);
        var o = m.Forward(new[] { randn(5, 7, 6), randn(5, 7, 3), randn(5, 9, 4) });
        Assert.Equal(new long[] { 5, 8 }, o.Joint.shape);            // time fusion: h in R^d
        Assert.Equal(new long[] { 5, 2 }, o.Logits.shape);
        Assert.Equal(new long[] { 5, 9, 8 }, o.Encodings[2].shape);  // vision may have its own T
    }

    [Fact]
    public void FeatureFusionGivesThreeTimesTheWidth()
    {
        using var scope = NewDisposeScope();
        using var m = new CorrKDBackbone(new[] { 6, 3, 4 }, 4, Small with { Fusion = "features" });
        Assert.Equal(new long[] { 2, 24 }, m.Forward(new[] { randn(2, 5, 6), randn(2, 5, 3), randn(2, 5, 4) }).Joint.shape);
    }

    [Fact]
    public void WrongInputDimIsNamed()
    {
        using var scope = NewDisposeScope();
        using var m = new CorrKDBackbone(new[] { 6, 3, 4 }, 2, Small);
        var e = Assert.Throws<ArgumentException>(() => m.Forward(new[] { randn(2, 5, 7), randn(2, 5, 3), randn(2, 5, 4) }));
        Assert.Contains("expected (B, T, 6)", e.Message);
    }

    [Fact]
    public void InvalidOptionsAreRejectedByName()
    {
        Assert.Contains("heads", Assert.Throws<ArgumentException>(() => (Small with { Heads = 3 }).Validate()).Message);
        Assert.Contains("fusion", Assert.Throws<ArgumentException>(() => (Small with { Fusion = "sum" }).Validate()).Message);
    }

    [Fact]
    public void ComposedAvailabilitySetsEqualFullPassesOnZeroedInputs()
    {
        // The evaluator encodes each branch once (real and zero input) and composes the 7 sets before fusion.
        // Because branches are independent until fusion this must equal a full forward on zeroed inputs.
        using var scope = NewDisposeScope();
        torch.random.manual_seed(3);
        using var ds = TestData.Sentiment(8, 4, 10);
        using var m = new CorrKDBackbone(ds.Dims, 2, Small);
        m.eval();
        var composed = Predictor.ByAvailability(m, ds.Test, Availability.All, batchSize: 4, CPU);
        using var _ = no_grad();
        foreach (var s in Availability.All)
        {
            var x = ds.Test.Modalities.Select((t, i) => s.Has((Modality)i) ? t : zeros_like(t)).ToArray();
            var full = m.Forward(x).Logits;
            Assert.True(full.allclose(composed[s], rtol: 1e-5, atol: 1e-5), $"set {s.Name}: composed logits differ from a full pass");
        }
    }

    [Fact]
    public void IntraSweepEqualsMaskedFullPasses()
    {
        // The sweep composes the four intra protocols from one encoder pass per modality and rate; each must equal
        // a full pass on the frame-dropped inputs (all modalities, or only the named one), and rates must differ.
        using var scope = NewDisposeScope();
        torch.random.manual_seed(4);
        using var ds = TestData.Sentiment(8, 4, 10);
        using var m = new CorrKDBackbone(ds.Dims, 2, Small);
        m.eval();
        var scheme = LabelScheme.For(ds);
        var sweep = MissingProtocols.Sweep(m, ds.Test, scheme, ds.ClassNames, maskSeed: 5, intra: true, batchSize: 3, CPU);
        using var _ = no_grad();
        var idx = Enumerable.Range(0, ds.Test.Count).Select(i => (long)i).ToArray();
        var which = new (string Protocol, CorrKD.Data.Modality[]? Only)[]
        {
            ("intra", null), ("intra-l", new[] { CorrKD.Data.Modality.Language }),
            ("intra-a", new[] { CorrKD.Data.Modality.Audio }), ("intra-v", new[] { CorrKD.Data.Modality.Vision }),
        };
        foreach (var (protocol, only) in which)
        {
            foreach (var r in new[] { 0.0, 0.5, 1.0 })
            {
                var full = m.Forward(CorrKD.Data.Missing.MissingModality.DropFrames(ds.Test.Modalities, 5, ds.Test.Name, idx, r, only)).Logits;
                var got = sweep.Single(c => c.Protocol == protocol && c.Condition == MissingProtocols.RateName(r)).Logits!;
                Assert.True(full.allclose(got, rtol: 1e-5, atol: 1e-5), $"{protocol} rate {r}: sweep logits differ from a full pass on dropped frames");
            }
            Assert.Equal(11, sweep.Count(c => c.Protocol == protocol));
        }
        var all = sweep.Single(c => c.Protocol == "intra" && c.Condition == "1.0").Logits!;
        Assert.True(all.allclose(all[0].expand_as(all)), "rate 1: every sample sees zeros, so every row is the same");
        Assert.False(sweep.Single(c => c.Protocol == "intra-l" && c.Condition == "1.0").Logits!.allclose(all), "dropping language only keeps audio and vision");
        Assert.False(sweep.Single(c => c.Protocol == "intra" && c.Condition == "0.5").Logits!.allclose(sweep.Single(c => c.Protocol == "intra" && c.Condition == "0.0").Logits!));
    }

    [Fact]
    public void OnePassSweepEqualsSeparateInterAndIntraPassesBitForBit()
    {
        // Sweep shares one real-input encoding between the protocols; the logits must be the very same floats.
        using var scope = NewDisposeScope();
        torch.random.manual_seed(3);
        using var ds = TestData.Sentiment(8, 4, 10);
        using var m = new CorrKDBackbone(ds.Dims, 2, Small);
        m.eval();
        var scheme = LabelScheme.For(ds);
        var sweep = MissingProtocols.Sweep(m, ds.Test, scheme, ds.ClassNames, maskSeed: 5, intra: true, batchSize: 3, CPU);
        var apart = MissingProtocols.Inter(m, ds.Test, scheme, ds.ClassNames, batchSize: 3, CPU)
            .Concat(MissingProtocols.Intra(m, ds.Test, scheme, ds.ClassNames, maskSeed: 5, null, batchSize: 3, CPU)).ToList();
        Assert.Equal(apart.Select(c => (c.Protocol, c.Condition)), sweep.Select(c => (c.Protocol, c.Condition)));
        foreach (var (a, b) in apart.Zip(sweep))
        {
            Assert.Equal(a.Metrics, b.Metrics);
            if (a.Logits is not null) Assert.Equal(a.Logits.data<float>().ToArray(), b.Logits!.data<float>().ToArray());
        }
    }

    [Fact]
    public void SinusoidalPositionsFollowTheFormula()
    {
        using var scope = NewDisposeScope();
        var pe = ModalityEncoder.SinusoidalPositions(3, 4, CPU);
        // PE[t, 2i] = sin(t / 10000^(2i/d)); d = 4: frequencies 1 and 1/100.
        Assert.Equal(MathF.Sin(2f), pe[2, 0].item<float>(), 5);
        Assert.Equal(MathF.Cos(2f / 100f), pe[2, 3].item<float>(), 5);
    }
}

public class TemporalConvTests
{
    [Fact]
    public void MatchesConv1dWithTheSameWeights()
    {
        // Conv1d(padding = (k-1)/2, bias = false) written as a sum of shifted projections:
        // y[:, t] = sum_j x_pad[:, t + j] W[:, :, j]^T. (libtorch's own conv kernel is what TemporalConv avoids.)
        using var scope = NewDisposeScope();
        torch.random.manual_seed(11);
        using var tc = new TemporalConv(6, 4, 3);
        var x = randn(2, 7, 6);
        var w = tc.parameters().Single();
        var xp = nn.functional.pad(x, new long[] { 0, 0, 1, 1 });
        var reference = zeros(2, 7, 4);
        for (int j = 0; j < 3; j++) reference += xp[.., j..(j + 7), ..].matmul(w[.., .., j].t());
        Assert.True(tc.forward(x).allclose(reference, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(new long[] { 4, 6, 3 }, w.shape);   // PyTorch Conv1d layout (out, in, k)
    }

    [Fact]
    public void KernelOneIsAPerFrameProjection()
    {
        using var scope = NewDisposeScope();
        using var tc = new TemporalConv(3, 2, 1);
        var x = randn(1, 4, 3);
        var w = tc.parameters().Single().squeeze(-1);                      // (2, 3)
        Assert.True(tc.forward(x).allclose(x.matmul(w.t()), rtol: 1e-6, atol: 1e-6));
    }
}
