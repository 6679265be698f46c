using CorrKD.Data;
using static TorchSharp.torch;

namespace CorrKD.Tests;

/// <summary>Small hand-made data sets for mechanics tests (independent of the synthetic generator).</summary>
public static class TestData
{
    /// <summary>
    /// A learnable sentiment set: the label is +-(1..3) with the sign carried by language feature 0 (strong)
    /// and audio feature 0 (weak); vision is noise. Dims l/a/v = 6/3/4, T = 5.
    /// </summary>
    public static MsaDataset Sentiment(int nTrain = 48, int nValid = 16, int nTest = 16, int seed = 1)
    {
        var g = new Generator((ulong)seed, CPU);
        MsaSplit Make(string name, int n)
        {
            var sign = (rand(n, generator: g) > 0.5).to(ScalarType.Float32) * 2 - 1;       // (n)
            var mag = randint(1, 4, n, generator: g).to(ScalarType.Float32);
            var labels = (sign * mag).data<float>().ToArray();
            var l = randn(n, 5, 6, generator: g); l[.., .., 0] += sign.unsqueeze(1) * 1.5f;
            var a = randn(n, 5, 3, generator: g); a[.., .., 0] += sign.unsqueeze(1) * 0.5f;
            var v = randn(n, 5, 4, generator: g);
            var lengths = Enumerable.Range(0, 3).Select(_ => Enumerable.Repeat(5L, n).ToArray()).ToArray();
            return new MsaSplit(name, new[] { l, a, v }, lengths, labels, Enumerable.Range(0, n).Select(i => $"{name}{i}").ToArray());
        }
        return new MsaDataset("test-mosi", $"test:{seed}", TaskKind.Sentiment, Array.Empty<string>(),
            Make("train", nTrain), Make("valid", nValid), Make("test", nTest));
    }
}
