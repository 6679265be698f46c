using System.Text.Json.Nodes;
using CorrKD.Data;
using CorrKD.Data.Synthetic;
using CorrKD.Distillation;
using CorrKD.Evaluation;
using CorrKD.Experiments;
using CorrKD.Model;
using CorrKD.Training;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>RSS (MB) after each epoch of a real student run, after its test sweep, the run's peak, and RSS once the
/// run's data and models are disposed and its freed memory is released (what a grid worker carries into its next run).</summary>
public sealed record MemoryResult(string Dataset, int Epochs, double RssBeforeMb, double[] RssAfterEpochMb, double RssAfterSweepMb, double PeakMb,
    double RssAfterReleaseMb)
{
    public double Spread => RssAfterEpochMb.Max() - RssAfterEpochMb.Min();
    /// <summary>RSS growth from the end of epoch 2 (allocator and Adam state settled) to the last epoch.</summary>
    public double GrowthAfterEpoch2 => RssAfterEpochMb.Length >= 2 ? RssAfterEpochMb[^1] - RssAfterEpochMb[1] : double.NaN;
}

/// <summary>
/// Bench (d): resident memory of a full-size CorrKD student run (data generation, Trainer.Fit + StudentObjective
/// with MRM, validation every epoch, in-memory best snapshots, then the test sweep under both protocols) on
/// synthetic-mosi with an untrained teacher: RSS after every epoch and after the sweep, and the peak (VmHWM, reset
/// at the start so earlier bench parts do not count). A flat series means every step and validation pass releases
/// its tensors; the peak is what a grid worker needs. Last, RSS after everything is disposed and
/// <see cref="KitRuntime.ReleaseFreedMemory"/> ran, as at the end of every training run.
/// </summary>
public static class MemoryBench
{
    public static MemoryResult Run(int epochs = 10, string dataset = "synthetic-mosi", TextWriter? log = null)
    {
        GC.Collect(); GC.WaitForPendingFinalizers();
        BenchStats.ResetPeakRss();
        var r = RunOnce(epochs, dataset, log);   // its data, models and tensors are disposed when it returns
        KitRuntime.ReleaseFreedMemory();
        double released = BenchStats.RssMb();
        log?.WriteLine($"  disposed and released: RSS {released:F0} MB");
        return r with { RssAfterReleaseMb = released };
    }

    private static MemoryResult RunOnce(int epochs, string dataset, TextWriter? log)
    {
        using var data = SyntheticCatalog.Generate(dataset);
        var cfg = KitConfig.Default(KitConfig.FamilyOf(dataset));
        var scheme = LabelScheme.For(data, cfg.SentimentClasses);
        random.manual_seed(0);
        using var teacher = new CorrKDBackbone(data.Dims, scheme.NumClasses, cfg.Model);
        using var student = new CorrKDBackbone(data.Dims, scheme.NumClasses, cfg.Model);
        using var objective = DistillationObjective.ForVariant(DistillationVariants.CorrKD, cfg.Distillation, scheme.NumClasses, cfg.Model.JointDim);
        using var run = new StudentObjective(student, teacher, objective, cfg.Missing, data, scheme, CPU, cfg.Student.EvalBatchSize, cfg.Student.BatchSize);
        var rss = new List<double>();
        double before = BenchStats.RssMb();
        var progress = new EpochEnd(p =>
        {
            rss.Add(BenchStats.RssMb());
            log?.WriteLine($"  epoch {p.Epoch,2}/{p.Epochs}: RSS {rss[^1]:F0} MB");
        });
        Trainer.Fit(run, cfg.Student with { Epochs = epochs, EarlyStopPatience = 0 }, seed: 0, checkpointDir: null, identity: new JsonObject(), progress: progress, stage: "bench");
        var sweep = MissingProtocols.Sweep(student, data.Test, scheme, data.ClassNames, cfg.MaskSeed, intra: true, cfg.Student.EvalBatchSize, CPU);
        foreach (var c in sweep) c.Logits?.Dispose();
        double afterSweep = BenchStats.RssMb();
        log?.WriteLine($"  test sweep ({sweep.Count} conditions): RSS {afterSweep:F0} MB");
        return new MemoryResult(dataset, epochs, before, rss.ToArray(), afterSweep, BenchStats.PeakRssMb(), double.NaN);
    }

    /// <summary>Synchronous progress sink (Progress&lt;T&gt; would post to the thread pool) that fires once per epoch, after validation.</summary>
    private sealed class EpochEnd(Action<TrainProgress> onEpoch) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress p) { if (p.EpochDone) onEpoch(p); }
    }
}
