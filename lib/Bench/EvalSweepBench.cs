using System.Diagnostics;
using CorrKD.Data;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Training;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>Seconds of each timed full sweep and of its two halves (7 availability sets; 11 intra rates).</summary>
public sealed record EvalSweepResult(int Samples, int BatchSize, double[] SweepSeconds, double[] AvailabilitySeconds, double[] IntraSeconds)
{
    public double MedianSweep => BenchStats.Median(SweepSeconds);
    public double MedianAvailability => BenchStats.Median(AvailabilitySeconds);
    public double MedianIntra => BenchStats.Median(IntraSeconds);
}

/// <summary>
/// Bench (b): the full test-time sweep of one model on a MOSI-size test split (686 random samples, T = 50,
/// dims 300/5/20): Predictor.ByAvailability over the 7 sets plus Predictor.WithFrameDrop at r = 0.0..1.0.
/// </summary>
public static class EvalSweepBench
{
    public static readonly double[] IntraRates = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();

    public static EvalSweepResult Run(int repeats = 3, int samples = 686, int seqLen = 50, int[]? dims = null, int seed = 0)
    {
        dims ??= new[] { 300, 5, 20 };
        var cfg = KitConfig.Default("mosi");
        random.manual_seed(seed);
        using var model = new CorrKDBackbone(dims, cfg.SentimentClasses, cfg.Model);
        using var split = TrainingThroughputBench.RandomSplit("test", samples, seqLen, dims, seed + 1);
        int batch = cfg.Student.EvalBatchSize;
        double Availability() => Timed(() =>
        {
            foreach (var t in Predictor.Eval(model, () => Predictor.ByAvailability(model, split, Data.Availability.All, batch, CPU)).Values) t.Dispose();
        });
        double Intra() => Timed(() =>
        {
            foreach (var r in IntraRates)
                Predictor.Eval(model, () => Predictor.WithFrameDrop(model, split, cfg.MaskSeed, r, batch, CPU)).Dispose();
        });
        Availability();   // warm-up
        var a = new List<double>(); var i = new List<double>();
        for (int k = 0; k < repeats; k++) { a.Add(Availability()); i.Add(Intra()); }
        return new EvalSweepResult(samples, batch, a.Zip(i, (x, y) => x + y).ToArray(), a.ToArray(), i.ToArray());
    }

    private static double Timed(Action body) { var c = Stopwatch.StartNew(); body(); return c.Elapsed.TotalSeconds; }
}
