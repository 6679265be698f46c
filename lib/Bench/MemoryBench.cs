using System.Text.Json.Nodes;
using CorrKD.Data;
using CorrKD.Data.Synthetic;
using CorrKD.Distillation;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Training;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>RSS (MB) after each epoch of a real student run, and its spread over the run.</summary>
public sealed record MemoryResult(string Dataset, int Epochs, double RssBeforeMb, double[] RssAfterEpochMb)
{
    public double Spread => RssAfterEpochMb.Max() - RssAfterEpochMb.Min();
    /// <summary>RSS growth from the end of epoch 2 (allocator and Adam state settled) to the last epoch.</summary>
    public double GrowthAfterEpoch2 => RssAfterEpochMb.Length >= 2 ? RssAfterEpochMb[^1] - RssAfterEpochMb[1] : double.NaN;
}

/// <summary>
/// Bench (d): resident memory across a small but real CorrKD student run (Trainer.Fit + StudentObjective with
/// MRM, validation every epoch, in-memory best snapshots) on synthetic-mosi-tiny with an untrained teacher.
/// A flat series means every step and validation pass releases its tensors.
/// </summary>
public static class MemoryBench
{
    public static MemoryResult Run(int epochs = 20, string dataset = "synthetic-mosi-tiny", TextWriter? log = null)
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
        Trainer.Fit(run, cfg.Student with { Epochs = epochs }, seed: 0, checkpointDir: null, identity: new JsonObject(), progress: progress, stage: "bench");
        return new MemoryResult(dataset, epochs, before, rss.ToArray());
    }

    /// <summary>Synchronous progress sink (Progress&lt;T&gt; would post to the thread pool) that fires once per epoch, after validation.</summary>
    private sealed class EpochEnd(Action<TrainProgress> onEpoch) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress p) { if (p.EpochDone) onEpoch(p); }
    }
}
