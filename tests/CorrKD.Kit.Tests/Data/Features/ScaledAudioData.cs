using CorrKD.Data;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Features;

/// <summary>
/// The real-CMU-MOSI scale problem in miniature: utterance-level features (T = 1); 73-d audio with a pooled mean of
/// about 2.5 and sd of about 22.8 (six loud dimensions, mean 30, sd 74, that carry nothing), the sentiment sign in ten
/// quiet audio dimensions (sd 1, shifted by <c>audioSignal</c> x sign); text with sd 0.35 whose first four dimensions
/// carry the sign more strongly (<c>textSignal</c> x sign, as language dominates on MOSI); vision noise with sd 1.
/// With these defaults a small teacher trained on the raw features leans on text and is near the constant predictor
/// on audio alone; standardised, it uses the audio too. Built from a fixed generator: same seed, same tensors.
/// </summary>
public static class ScaledAudioData
{
    public const int TextDim = 16, AudioDim = 73, VisionDim = 8;

    public static MsaDataset Make(int nTrain = 384, int nValid = 96, int nTest = 192, ulong seed = 7, float textSignal = 0.3f, float audioSignal = 0.4f)
    {
        var g = new Generator(seed, CPU);
        MsaSplit Split(string name, int n)
        {
            using var scope = NewDisposeScope();
            var sign = (rand(n, generator: g) > 0.5).to(ScalarType.Float32) * 2 - 1;                 // (n)
            var mag = rand(n, generator: g) * 2.5f + 0.5f;                                            // |y| in [0.5, 3)
            var labels = (sign * mag).data<float>().ToArray();
            var l = randn(n, 1, TextDim, generator: g) * 0.35f;
            l[.., .., ..4] += sign.view(n, 1, 1) * textSignal;
            var a = randn(n, 1, AudioDim, generator: g);
            a[.., .., ..6] = a[.., .., ..6] * 74f + 30f;                                              // loud, uninformative
            a[.., .., 6..16] += sign.view(n, 1, 1) * audioSignal;                                            // quiet, informative
            var v = randn(n, 1, VisionDim, generator: g);
            var lengths = Enumerable.Range(0, 3).Select(_ => Enumerable.Repeat(1L, n).ToArray()).ToArray();
            return new MsaSplit(name, new[] { l, a, v }.Select(t => t.DetachFromDisposeScope()).ToArray(), lengths, labels,
                Enumerable.Range(0, n).Select(i => $"{name}{i:D3}").ToArray());
        }
        return new MsaDataset("scaled-mosi", $"test:scaled-audio:{seed}", TaskKind.Sentiment, Array.Empty<string>(),
            Split("train", nTrain), Split("valid", nValid), Split("test", nTest));
    }
}
