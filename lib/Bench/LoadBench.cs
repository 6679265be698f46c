using System.Diagnostics;
using CorrKD.Data;
using CorrKD.Data.Formats;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>Load figures of one MMSA-layout file: size, seconds, MB/s, and peak RSS against the float32 data it holds.</summary>
public sealed record LoadResult(string Path, double FileMb, double Float32Mb, double Seconds, double PeakRssMb, double RssBeforeMb)
{
    public double MbPerSecond => FileMb / Seconds;
    /// <summary>Peak RSS growth during the load over the float32 size of the loaded tensors (1.0 = no transient copies).</summary>
    public double PeakOverData => (PeakRssMb - RssBeforeMb) / Float32Mb;
}

/// <summary>
/// Bench (c): write a MOSEI-size data set (16326/1871/4659 samples, T = 50, dims 768/74/35; <c>scale</c> shrinks
/// the sample counts) in the MMSA pickle layout, float64 like MMSA's own files, streamed by
/// FormatBenchmark.WriteSyntheticMmsa (nothing held in memory), then time DatasetFiles.Load on it with the
/// peak-RSS counter reset just before.
/// </summary>
public static class LoadBench
{
    public static readonly int[] MoseiCounts = { 16326, 1871, 4659 };
    public static readonly int[] MoseiDims = { 768, 74, 35 };

    /// <summary>Returns null and sets <paramref name="skipped"/> when the loaders are not merged or /tmp is short of space.</summary>
    public static LoadResult? Run(string directory, double scale, TextWriter log, out string? skipped)
    {
        var counts = MoseiCounts.Select(c => Math.Max(2, (int)Math.Round(c * scale))).ToArray();
        double float32Mb = counts.Sum() * 50.0 * MoseiDims.Sum() * 4 / 1e6;
        var free = new DriveInfo(directory).AvailableFreeSpace / 1e6;
        // float64 on disk: twice the float32 size, plus slack.
        if (free < 2.2 * float32Mb)
        {
            skipped = $"{directory} has {free:F0} MB free; a {(scale == 1 ? "MOSEI" : $"{scale:0.##} x MOSEI")}-size file needs up to {2.2 * float32Mb:F0} MB";
            return null;
        }
        var path = Path.Combine(directory, $"corrkd-bench-mosei-{Environment.ProcessId}.pkl");
        try
        {
            var clock = Stopwatch.StartNew();
            FormatBenchmark.WriteSyntheticMmsa(path, counts[0], counts[1], counts[2], 50, MoseiDims);
            log.WriteLine($"  wrote {path} ({new FileInfo(path).Length / 1e6:F0} MB, {string.Join("/", counts)} samples) in {clock.Elapsed.TotalSeconds:F1} s");
            GC.Collect(); GC.WaitForPendingFinalizers();
            double before = BenchStats.RssMb();
            BenchStats.ResetPeakRss();
            clock.Restart();
            using var loaded = DatasetFiles.Load(path);
            double seconds = clock.Elapsed.TotalSeconds, peak = BenchStats.PeakRssMb();
            double loadedMb = loaded.Splits.Sum(s => s.Modalities.Sum(t => t.numel() * 4.0)) / 1e6;
            skipped = null;
            return new LoadResult(path, new FileInfo(path).Length / 1e6, loadedMb, seconds, peak, before);
        }
        finally { if (File.Exists(path)) File.Delete(path); }
    }

    /// <summary>
    /// Generating the embedded default data set (synthetic-mosi, full size) after a warm-up on the tiny set:
    /// wall and process-CPU seconds per repeat. The target is under 2 s; a figure, not a test, because a shared
    /// machine moves it.
    /// </summary>
    public static (double[] WallSeconds, double[] CpuSeconds) SyntheticGeneration(int repeats)
    {
        Data.Synthetic.SyntheticCatalog.Generate("synthetic-mosi-tiny").Dispose();
        var proc = Process.GetCurrentProcess();
        var wall = new double[repeats];
        var cpu = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            Data.Synthetic.SyntheticCatalog.Generate("synthetic-mosi", i).Dispose();
            wall[i] = clock.Elapsed.TotalSeconds;
            proc.Refresh();
            cpu[i] = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        }
        return (wall, cpu);
    }
}
