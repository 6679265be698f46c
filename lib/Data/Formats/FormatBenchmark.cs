using System.Diagnostics;

namespace CorrKD.Data.Formats;

/// <summary>
/// Not a test: makes a large synthetic MMSA aligned file (float64, like the real ones) without holding it in
/// memory, and measures how long <see cref="DatasetFiles.Load"/> takes and the process's peak RSS.
/// Steps (in a fresh process, so the peak belongs to the load):
///   FormatBenchmark.WriteSyntheticMmsa("/tmp/mosei.pkl", 16326, 1871, 4659, 50, new[] { 768, 74, 35 });  // ~6.3 GB
///   var (seconds, peakBytes) = FormatBenchmark.MeasureLoad("/tmp/mosei.pkl");
/// then delete the file. MOSI size: 1284, 229, 686 with dims 768, 5, 20 (~0.35 GB).
/// </summary>
public static class FormatBenchmark
{
    /// <summary>
    /// Writes {train, valid, test} with float64 text/audio/vision (N, T, d), random lengths in [T/2, T] with zero
    /// padding after them, -inf sprinkled in audio, labels in [-3, 3]. Values come from a cheap hash of the position.
    /// </summary>
    public static void WriteSyntheticMmsa(string path, int nTrain, int nValid, int nTest, int seqLen, int[] dims, int seed = 0)
    {
        IO.AtomicFile.Write(path, tmp =>
        {
            using var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            var w = new PickleWriter(fs);
            w.Proto(4);
            w.BeginDict();
            foreach (var (split, n) in new[] { ("train", nTrain), ("valid", nValid), ("test", nTest) })
            {
                var rng = new Random(seed * 31 + split.Length);
                var lengths = Enumerable.Range(0, n).Select(_ => rng.Next(seqLen / 2, seqLen + 1)).ToArray();
                w.Str(split);
                w.BeginDict();
                string[] keys = { "text", "audio", "vision" };
                for (int m = 0; m < 3; m++)
                {
                    int d = dims[m], mm = m;
                    w.Str(keys[m]);
                    w.GeneratedFloat64Array(new long[] { n, seqLen, d }, (off, count) =>
                    {
                        var buf = new double[count];
                        for (int k = 0; k < count; k++)
                        {
                            long pos = off + k;
                            long i = pos / ((long)seqLen * d), t = pos / d % seqLen;
                            if (t >= lengths[i]) continue;
                            uint h = (uint)(pos * 2654435761L) ^ (uint)(mm * 40503);
                            buf[k] = (h % 20001) / 10000.0 - 1.0;
                            if (mm == 1 && h % 997 == 0) buf[k] = double.NegativeInfinity;
                        }
                        return buf;
                    });
                }
                w.Str("regression_labels");
                w.Float32Vector(Enumerable.Range(0, n).Select(_ => (float)Math.Round(rng.NextDouble() * 6 - 3, 1)).ToArray());
                w.Str("id");
                w.ObjectStrArray(Enumerable.Range(0, n).Select(i => $"{split}{i}").ToArray());
                w.EndDict();
            }
            w.EndDict();
            w.Stop();
        });
    }

    /// <summary>Loads the file once; returns wall seconds and the process's peak resident set (VmHWM on Linux) in bytes.</summary>
    public static (double Seconds, long PeakRssBytes) MeasureLoad(string path)
    {
        var sw = Stopwatch.StartNew();
        using (var ds = DatasetFiles.Load(path)) { sw.Stop(); }
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return (sw.Elapsed.TotalSeconds, p.PeakWorkingSet64);
    }
}
