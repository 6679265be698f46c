using CorrKD.Experiments;
using Xunit;

namespace CorrKD.Tests.Experiments;

/// <summary>GridRunner.Timing on hand-made run folders with known spans.</summary>
public class GridTimingTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "corrkd-timing-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    private static readonly DateTime T0 = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>A finished run started at T0 + <paramref name="startMin"/> minutes; finished at T0 + <paramref name="endMin"/>
    /// (null: a run from before finished_utc was recorded), with two epochs of <paramref name="epochSeconds"/> each.</summary>
    private void Run(string name, double startMin, double? endMin, double epochSeconds)
    {
        var dir = Path.Combine(root, "runs", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "run.json"), $"{{\"environment\":{{\"started_utc\":\"{T0.AddMinutes(startMin):o}\"}}}}");
        File.WriteAllText(Path.Combine(dir, "metrics.json"), endMin is double e ? $"{{\"best_epoch\":1,\"finished_utc\":\"{T0.AddMinutes(e):o}\"}}" : "{\"best_epoch\":1}");
        File.WriteAllText(Path.Combine(dir, "history.csv"), $"epoch,seconds\n1,{epochSeconds}\n2,{epochSeconds}\n");
        File.WriteAllText(Path.Combine(dir, "results.csv"), "dataset,variant,seed,protocol,condition,emotion,metric,value\n");
    }

    [Fact]
    public void WallTimeIsTheUnionOfTheRunsSpans_SoParallelWorkersCountOnceAndPausesNotAtAll()
    {
        Run("a", 0, 10, 60);      // two workers: a and b overlap over minutes 5-10
        Run("b", 5, 20, 60);
        Run("c", 600, 630, 60);   // the next sitting, ten hours later
        Run("d", 700, null, 90);  // no finished_utc: its start plus its epoch seconds (3 minutes)
        Run("e", 701, 702, 30);   // inside d's span
        var (wall, training) = GridRunner.Timing(root);
        Assert.Equal(TimeSpan.FromMinutes(20 + 30 + 3), wall);
        Assert.Equal(TimeSpan.FromSeconds(2 * (60 + 60 + 60 + 90 + 30)), training);
        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), GridRunner.Timing(empty));
    }
}
