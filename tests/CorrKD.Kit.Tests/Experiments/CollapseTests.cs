using CorrKD.Evaluation;
using CorrKD.Experiments;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Experiments;

/// <summary>Collapses.Read on a hand-made student history, and the top-class share behind it.</summary>
public class CollapseTests
{
    [Fact]
    public void TopClassShareIsOneForAConstantPredictor()
    {
        using var constant = tensor(new float[] { 2, 0, 3, 1, 5, -1, 1, 0 }, new long[] { 4, 2 });   // class 0 every time
        Assert.Equal(1.0, Scoring.TopClassShare(constant));
        using var mixed = tensor(new float[] { 2, 0, 0, 3, 1, 5, 1, 0 }, new long[] { 4, 2 });      // 0, 1, 1, 0
        Assert.Equal(0.5, Scoring.TopClassShare(mixed));
    }

    /// <summary>A run folder with a five-epoch history: {a} constant at epochs 2-3, {v} at epoch 2; selected epoch 3.</summary>
    private static string Grid()
    {
        var root = Directory.CreateTempSubdirectory("corrkd-collapse-").FullName;
        var run = Path.Combine(root, "runs", "default", "synthetic-mosi@1", "s4", "no-kd");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "run.json"), "{}");
        File.WriteAllText(Path.Combine(run, "results.csv"), "dataset,variant,seed,protocol,condition,emotion,metric,value\n");
        File.WriteAllText(Path.Combine(run, "metrics.json"), """{"best_epoch": 3, "epochs_run": 5}""");
        File.WriteAllText(Path.Combine(run, "config.json"), """{"student": {"early_stop_patience": 3}}""");
        File.WriteAllLines(Path.Combine(run, "history.csv"), new[]
        {
            "epoch,valid_headline,valid_headline_a,valid_headline_v,valid_top_share_a,valid_top_share_v",
            "1,0.60,0.60,0.50,0.55,0.60",
            "2,0.40,0.21,0.21,1,0.99",
            "3,0.45,0.21,0.40,1,0.70",
            "4,0.70,0.66,0.62,0.60,0.58",
            "5,0.68,0.64,0.60,0.61,0.57",
        });
        // A run from before the per-set columns existed is skipped, not an error.
        var old = Path.Combine(root, "runs", "default", "synthetic-mosi@0", "s0", "no-kd");
        Directory.CreateDirectory(old);
        File.WriteAllText(Path.Combine(old, "run.json"), "{}");
        File.WriteAllText(Path.Combine(old, "results.csv"), "");
        File.WriteAllLines(Path.Combine(old, "history.csv"), new[] { "epoch,valid_loss", "1,0.5" });
        return root;
    }

    [Fact]
    public void ARunConstantAtItsSelectedEpochIsFoundWithTheBetterEpochItMissed()
    {
        var root = Grid();
        try
        {
            var r = Assert.Single(Collapses.Read(root));
            Assert.Equal(("synthetic-mosi", 1, 4, "default", "no-kd"), (r.Dataset, r.DataSeed, r.Seed, r.Setting, r.Variant));
            Assert.Equal((2, 3, 2), (r.FirstCollapsed, r.LastCollapsed, r.CollapsedEpochs));
            Assert.True(r.CollapsedAtBest);
            Assert.True(r.Recovered);                       // constant until epoch 3 of 5
            Assert.Equal(30.5, r.ValidAvAtBest, 9);          // (21 + 40) / 2
            Assert.Equal((64.0, 4), (Math.Round(r.BestValidAv, 9), r.BestValidAvEpoch));
            // The metric rule on the same trajectory: best mean headline at epoch 4, and epoch 5 leaves patience 3 unspent.
            Assert.Equal((4, false, true), (r.MetricEpoch, r.CollapsedAtMetricEpoch, r.MetricTruncated));
            var summary = Collapses.Summary(Collapses.Read(root)).ToMarkdown();
            Assert.Contains("| synthetic-mosi | no-kd | 1 | 1 | 3 | 3 | 1 | 0 | 0 |", summary);
            Assert.Contains("| synthetic-mosi | d1 s4 | no-kd | 5 | 3 | 2 | 3 | 30.50 | 64.00 (4) | 4 (or later) |", Collapses.Selected(Collapses.Read(root)).ToMarkdown());
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void ReplayStopsLikeTheTrainer()
    {
        var scores = new[] { 0.5, 0.7, 0.6, 0.65, 0.69, 0.9 };
        Assert.Equal((2, false), Collapses.Replay(scores, patience: 3));   // epochs 3-5 do not beat 0.7: stop before epoch 6
        Assert.Equal((6, false), Collapses.Replay(scores, patience: 0));   // no early stopping
        Assert.Equal((6, true), Collapses.Replay(scores, patience: 4));    // the history ends before patience 4 runs out
    }
}
