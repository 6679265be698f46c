using CorrKD.Data;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>Tiny hand-made data sets for writer tests (values are simple functions of the index, so sums are known).</summary>
internal static class LoaderTestData
{
    public static MsaDataset Tiny(TaskKind task, string[] classNames, float? badTestLabel = null)
    {
        MsaSplit Split(string name, int n)
        {
            var mods = new[] { (t: 4, d: 3), (t: 5, d: 2), (t: 3, d: 2) }.Select((td, m) =>
            {
                // x[i, t, d] = m + 0.5 i + 0.25 t - d, then frames at t >= 2 + i % 2 zeroed (end padding)
                var x = arange(n * td.t * td.d, dtype: ScalarType.Float32).reshape(n, td.t, td.d) * 0.1f + m;
                for (int i = 0; i < n; i++) x[i, TensorIndex.Slice(2 + i % 2)] = 0;
                return x;
            }).ToArray();
            var lengths = mods.Select(x => Enumerable.Range(0, n).Select(i => (long)Math.Min(2 + i % 2, x.shape[1])).ToArray()).ToArray();
            var labels = Enumerable.Range(0, n).Select(i => task == TaskKind.Emotion ? (float)(i % classNames.Length) : -2.5f + i * 0.7f).ToArray();
            if (badTestLabel.HasValue && name == "test") labels[0] = badTestLabel.Value;
            return new MsaSplit(name, mods, lengths, labels, Enumerable.Range(0, n).Select(i => $"{name}-clip{i}").ToArray());
        }
        return new MsaDataset("tiny", "synthetic:tiny:0", task, classNames, Split("train", 5), Split("valid", 2), Split("test", 3));
    }
}
