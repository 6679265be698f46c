using System.Globalization;
using CorrKD.Evaluation;
using CorrKD.Evaluation.Metrics;
using CorrKD.Experiments;
using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.EndToEnd;

/// <summary>Teacher -> student -> evaluation -> grid -> report on tiny synthetic data, through the library the CLI uses.</summary>
public class PipelineTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "corrkd-e2e-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    private RunRequest Tiny(string name) => new()
    {
        Dataset = "synthetic-mosi-tiny", Epochs = 2, Threads = 1, Device = "cpu", Out = Path.Combine(root, name),
    };

    [Fact]
    public void TeacherThenStudentWriteCompleteRunFolders()
    {
        var teacher = TrainingRun.Teacher(Tiny("teacher"));
        foreach (var f in new[] { "run.json", "config.json", "history.csv", "metrics.json", "results.csv", "predictions.csv" })
            Assert.True(File.Exists(Path.Combine(teacher.Folder, f)), $"teacher run lacks {f}");
        Assert.Equal(8 + 4 * 11, teacher.Test.Count);        // 7 sets + avg; 11 rates for all modalities and for each alone

        var student = TrainingRun.Student(Tiny("corrkd") with { Variant = "corrkd", TeacherRun = teacher.Folder });
        var history = File.ReadAllLines(Path.Combine(student.Folder, "history.csv"));
        foreach (var term in new[] { "task", "scd", "cpd", "rcd" })
        {
            Assert.Contains("train_" + term, history[0]);     // every term logged per epoch, on train and on validation
            Assert.Contains("valid_" + term, history[0]);
        }
        Assert.NotNull(student.TeacherComplete);

        // predictions.csv lets anyone recompute a metric: F1 (non0) on the complete set from it equals results.csv.
        var lines = File.ReadAllLines(Path.Combine(student.Folder, "predictions.csv")).Skip(1).Select(l => l.Split(','))
            .Where(c => c[1] == "inter" && c[2] == "lav").ToList();
        var truth = lines.Select(c => float.Parse(c[3], CultureInfo.InvariantCulture)).ToArray();
        var pred = lines.Select(c => int.Parse(c[5], CultureInfo.InvariantCulture)).ToArray();
        var recomputed = SentimentMetrics.Binary(truth, pred).F1Non0;
        var reported = ResultsCsv.Read(Path.Combine(student.Folder, "results.csv"))
            .Single(r => r.Protocol == "inter" && r.Condition == "lav" && r.Metric == "f1_non0").Value;
        Assert.Equal(reported, recomputed, 12);
    }

    [Fact]
    public void ARunFolderIsNeverOverwritten()
    {
        TrainingRun.Teacher(Tiny("t") with { EvaluateIntra = false });
        var e = Assert.Throws<IOException>(() => TrainingRun.Teacher(Tiny("t") with { EvaluateIntra = false }));
        Assert.Contains("refusing to overwrite", e.Message);
    }

    [Fact]
    public void TheSameSeedGivesTheSameTestMetrics()
    {
        var a = TrainingRun.Teacher(Tiny("a") with { EvaluateIntra = false, Seed = 3 });
        var b = TrainingRun.Teacher(Tiny("b") with { EvaluateIntra = false, Seed = 3 });
        Assert.Equal(File.ReadAllText(Path.Combine(a.Folder, "results.csv")), File.ReadAllText(Path.Combine(b.Folder, "results.csv")));
    }

    [Fact]
    public void ShardedGridMergesIntoOneReportAndARerunSkipsFinishedCells()
    {
        var spec = new GridSpec { Datasets = new[] { "synthetic-mosi-tiny" }, Seeds = new[] { 0, 1 }, Variants = new[] { "no-kd", "corrkd" }, Epochs = 1, EvaluateIntra = false };
        var dir = Path.Combine(root, "grid");
        var s1 = GridRunner.Run(spec, dir, GridRunner.Shard.Parse("1/2"), threads: 1, device: "cpu");
        Assert.Equal(new[] { ("default", 3, 6) }, GridRunner.Status(spec, dir));      // half the cells finished
        var s2 = GridRunner.Run(spec, dir, GridRunner.Shard.Parse("2/2"), threads: 1, device: "cpu");
        Assert.Equal(new[] { ("default", 6, 6) }, GridRunner.Status(spec, dir));
        var (wall, training) = GridRunner.Timing(dir);
        Assert.True(training > TimeSpan.Zero && wall >= training / 2, $"wall {wall}, training {training}");
        Assert.StartsWith("Finished trainings: 6 of 6; default 6/6. Wall time ", CorrKD.Experiments.Study.StatusText(spec, dir));
        Assert.Equal(3, s1.Count); Assert.Equal(3, s2.Count);                       // teacher + 2 students per shard
        Assert.Empty(s1.Select(c => c.Folder).Intersect(s2.Select(c => c.Folder)));  // disjoint work
        var again = GridRunner.Run(spec, dir, GridRunner.Shard.All, threads: 1, device: "cpu");
        Assert.All(again, c => Assert.True(c.Skipped));

        var rows = GridRunner.CollectResults(new[] { dir });
        Assert.Equal(new[] { 0, 1 }, rows.Select(r => r.Seed).Distinct().Order());
        Assert.Equal(new[] { "corrkd", "no-kd", "teacher" }, rows.Select(r => r.Variant).Distinct().Order());
        var report = Report.Build(rows, Path.Combine(dir, "report"), withPublished: true, png: false);
        Assert.Contains("CorrKD (published)", report.MainTableMarkdown);
        Assert.Contains("corrkd − no-kd", report.MainTableMarkdown);
        Assert.True(File.Exists(Path.Combine(dir, "report", "tables", "synthetic-mosi-tiny@0_inter.tex")));
    }

    [Fact]
    public void DataSeedsMultiplyOnlySyntheticSets()
    {
        var spec = CorrKD.Experiments.Study.Spec(new[] { "synthetic-mosi", "/data/MOSI/aligned_50.pkl" }, smoke: false);
        var groups = spec.Groups();
        int pairs = spec.Seeds.Length * spec.DataSeeds.Length, sensitivity = spec.Settings.Count(s => s.MaxPairs != null);
        Assert.Equal(3, spec.DataSeeds.Length);
        int core = spec.Settings.Count(s => s.MaxPairs == null);
        Assert.Equal(core * pairs + sensitivity * CorrKD.Experiments.Study.SensitivityPairs, groups.Count(g => g.Dataset == "synthetic-mosi"));
        // one file, one data seed: its own first pairs, so a sensitivity setting keeps as many pairs as on synthetic data
        Assert.Equal(core * spec.Seeds.Length + sensitivity * CorrKD.Experiments.Study.SensitivityPairs, groups.Count(g => g.Dataset.EndsWith(".pkl")));
        Assert.All(groups.Where(g => g.Dataset.EndsWith(".pkl")), g => Assert.Equal(0, g.DataSeed));
        // pair by pair: the first groups span every data seed of seed 0 before any group of seed 1
        var firstSeed1 = groups.ToList().FindIndex(g => g.Seed == 1);
        Assert.Equal(new[] { 0, 1, 2 }, groups.Take(firstSeed1).Where(g => g.Dataset == "synthetic-mosi").Select(g => g.DataSeed).Distinct().Order());
        Assert.All(groups.Skip(firstSeed1), g => Assert.True(g.Seed >= 1));
    }

    [Fact]
    public void TheStudyComparesIemocapOnTheDefaultSettingOnly()
    {
        var spec = CorrKD.Experiments.Study.Spec(new[] { "synthetic-mosi", "synthetic-iemocap" }, smoke: false);
        Assert.Equal(new[] { "default" }, spec.Groups().Where(g => g.Dataset == "synthetic-iemocap").Select(g => g.Setting.Name).Distinct());
        Assert.Equal("k3", spec.Settings.Single(s => s.Name == "k3-teacher-strong").Baseline);
    }

    [Fact]
    public void AGridFolderGrowsIntoAGridThatExtendsIt()
    {
        var dir = Path.Combine(root, "g3");
        var spec = new GridSpec { Datasets = new[] { "synthetic-mosi-tiny" }, Seeds = new[] { 0 }, Variants = new[] { "no-kd" }, Epochs = 1, EvaluateIntra = false };
        GridRunner.Run(spec, dir, GridRunner.Shard.All, threads: 1, device: "cpu");
        var grown = spec with { Seeds = new[] { 0, 1 } };
        Assert.True(grown.Extends(spec) && !spec.Extends(grown));
        var statuses = GridRunner.Run(grown, dir, GridRunner.Shard.All, 1, "cpu");
        Assert.Equal(2, statuses.Count(s => s.Skipped));          // seed 0's teacher and student were kept
        Assert.Equal(2, statuses.Count(s => !s.Skipped));         // seed 1's were trained
        Assert.Equal(grown.ToJson(), File.ReadAllText(Path.Combine(dir, "grid.json")));
        Assert.False((spec with { Variants = new[] { "kd" } }).Extends(spec));
        // `--resume DIR` with no option that shapes a grid continues the grid the folder holds (here the grown one, not
        // the preset the command would otherwise describe); with such options, or for a new folder, the described one.
        Assert.Equal(grown.ToJson(), GridSpec.ForResume(dir, spec, shaped: false).ToJson());
        Assert.Equal(spec.ToJson(), GridSpec.ForResume(dir, spec, shaped: true).ToJson());
        Assert.Equal(spec.ToJson(), GridSpec.ForResume(Path.Combine(root, "new"), spec, shaped: false).ToJson());
        Assert.Equal(spec.ToJson(), GridSpec.ForResume(null, spec, shaped: false).ToJson());
    }

    [Fact]
    public void AGridContinuedFromCommittedResultsRebuildsItsTeachersCheckpointAndChecksIt()
    {
        var dir = Path.Combine(root, "g4");
        var spec = new GridSpec { Datasets = new[] { "synthetic-mosi-tiny" }, Seeds = new[] { 0 }, Variants = new[] { "no-kd" }, Epochs = 1, EvaluateIntra = false };
        var first = GridRunner.Run(spec, dir, GridRunner.Shard.All, threads: 1, device: "cpu");
        var teacher = Directory.GetDirectories(Path.Combine(dir, "teachers"), "teacher-*", SearchOption.AllDirectories).Single();
        var student = first.Single(s => Path.GetFileName(s.Folder) == "no-kd").Folder;
        // What a later sitting finds in results/: the finished teacher's text artefacts without its checkpoint, and a
        // student still to train (here: removed), which needs that checkpoint.
        void Forget() { Directory.Delete(Path.Combine(teacher, "checkpoint"), true); Directory.Delete(student, true); }
        Forget();
        var statuses = GridRunner.Run(spec, dir, GridRunner.Shard.All, 1, "cpu");
        Assert.Equal(new[] { student }, statuses.Where(s => !s.Skipped).Select(s => s.Folder));
        Assert.True(File.Exists(Path.Combine(teacher, "checkpoint", "best", "state.json")));
        Assert.False(Directory.Exists(teacher + ".rebuild"));

        // A recorded teacher that the retrain does not reproduce (as one made on another CPU class) is not distilled:
        // its students are left, the reason is written beside it, and the grid ends instead of waiting.
        Forget();
        var results = Path.Combine(teacher, "results.csv");
        var lines = File.ReadAllLines(results);
        lines[1] = string.Join(',', lines[1].Split(',')[..^1].Append("0.123"));
        File.WriteAllLines(results, lines);
        var left = GridRunner.Run(spec, dir, GridRunner.Shard.All, 1, "cpu");
        Assert.All(left, s => Assert.True(s.Skipped));
        Assert.False(File.Exists(Path.Combine(student, "results.csv")));
        Assert.False(Directory.Exists(teacher + ".rebuild"));
        var why = File.ReadAllText(GridRunner.UnreproducibleMarker(teacher));
        Assert.Contains("is not the recorded run", why);
        Assert.Contains("results.csv", why);
        Assert.DoesNotContain(GridRunner.Run(spec, dir, GridRunner.Shard.All, 1, "cpu"), s => !s.Skipped);   // not retried on this class
    }

    [Fact]
    public void AGridFolderRefusesADifferentGrid()
    {
        var dir = Path.Combine(root, "g2");
        var spec = new GridSpec { Datasets = new[] { "synthetic-mosi-tiny" }, Seeds = new[] { 0 }, Variants = new[] { "no-kd" }, Epochs = 1, EvaluateIntra = false };
        GridRunner.Run(spec, dir, GridRunner.Shard.All, threads: 1, device: "cpu");
        var e = Assert.Throws<InvalidOperationException>(() => GridRunner.Run(spec with { Seeds = new[] { 5 } }, dir, GridRunner.Shard.All, 1, "cpu"));
        Assert.Contains("different grid", e.Message);
    }

    [Fact]
    public void ShardSyntaxIsChecked()
    {
        Assert.Throws<ArgumentException>(() => GridRunner.Shard.Parse("3/2"));
        Assert.Throws<ArgumentException>(() => GridRunner.Shard.Parse("1-2"));
        var s = GridRunner.Shard.Parse("2/3");
        Assert.Equal(new[] { 1, 4 }, Enumerable.Range(0, 6).Where(s.Takes));
    }
}

public class ExportTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "corrkd-export-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    [Fact]
    public void SafetensorsHoldTheSelectedWeightsUnderTheirModuleNames()
    {
        var run = TrainingRun.Teacher(new RunRequest { Dataset = "synthetic-mosi-tiny", Epochs = 1, Threads = 1, Device = "cpu", Out = Path.Combine(root, "t"), EvaluateIntra = false });
        var file = WeightExport.Export(run.Folder, null);
        var saved = TorchSharp.PyBridge.Safetensors.LoadStateDict(file);
        using var data = CorrKD.Data.DatasetRegistry.Load("synthetic-mosi-tiny");
        var folder = RunFolder.Open(run.Folder);
        using var model = TrainingRun.LoadModel(folder, data, CorrKD.Training.KitConfig.Default("mosi"), TorchSharp.torch.CPU);
        var expected = model.state_dict();
        Assert.Equal(expected.Keys.Order(), saved.Keys.Order());
        Assert.Contains("language.proj.weight", saved.Keys);
        foreach (var (k, v) in expected) Assert.True(v.allclose(saved[k], 0, 0), $"{k} differs");
        Assert.Throws<IOException>(() => WeightExport.Export(run.Folder, null));   // never overwrites
    }
}
