using System.Diagnostics;
using CorrKD.Data;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Training;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>Seconds of each timed full sweep and of its inter part alone (the intra part is the difference).</summary>
public sealed record EvalSweepResult(int Samples, int BatchSize, double[] SweepSeconds, double[] AvailabilitySeconds)
{
    public double MedianSweep => BenchStats.Median(SweepSeconds);
    public double MedianAvailability => BenchStats.Median(AvailabilitySeconds);
    public double MedianIntra => BenchStats.Median(SweepSeconds.Zip(AvailabilitySeconds, (a, b) => a - b));
}

/// <summary>
/// Bench (b): the full test-time sweep of one model on a MOSI-size test split (686 random samples, T = 50,
/// dims 300/5/20), exactly as a training run does it: <see cref="MissingProtocols.Sweep"/> with scoring,
/// i.e. the 7 availability sets plus the 11 intra rates (rate 0 reuses the complete logits).
/// </summary>
public static class EvalSweepBench
{
    public static EvalSweepResult Run(int repeats = 3, int samples = 686, int seqLen = 50, int[]? dims = null, int seed = 0)
    {
        dims ??= new[] { 300, 5, 20 };
        var cfg = KitConfig.Default("mosi");
        random.manual_seed(seed);
        using var model = new CorrKDBackbone(dims, cfg.SentimentClasses, cfg.Model);
        using var split = TrainingThroughputBench.RandomSplit("test", samples, seqLen, dims, seed + 1);
        var scheme = new LabelScheme(TaskKind.Sentiment, cfg.SentimentClasses);
        int batch = cfg.Student.EvalBatchSize;
        double Sweep(bool intra) => Timed(() =>
        {
            foreach (var c in MissingProtocols.Sweep(model, split, scheme, Array.Empty<string>(), cfg.MaskSeed, intra, batch, CPU)) c.Logits?.Dispose();
        });
        Sweep(intra: true);   // warm-up
        var full = new List<double>(); var inter = new List<double>();
        for (int k = 0; k < repeats; k++) { inter.Add(Sweep(intra: false)); full.Add(Sweep(intra: true)); }
        return new EvalSweepResult(samples, batch, full.ToArray(), inter.ToArray());
    }

    private static double Timed(Action body) { var c = Stopwatch.StartNew(); body(); return c.Elapsed.TotalSeconds; }
}
