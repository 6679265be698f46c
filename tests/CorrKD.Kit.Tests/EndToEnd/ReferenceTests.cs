using CorrKD.Experiments;
using Xunit;

namespace CorrKD.Tests.EndToEnd;

/// <summary>
/// Reruns match: a grid gives the same bits with one worker or two, the smoke reproduction matches the committed
/// results/reproduce-smoke (so any change to the math shows here, and whoever makes it regenerates the references
/// in the same commit), `reproduce --check` finds a changed value, and the README's tables are the committed ones.
/// </summary>
public class ReferenceTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "corrkd-ref-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    private static readonly GridSpec Tiny = new()
    {
        Datasets = new[] { "synthetic-mosi-tiny" }, Seeds = new[] { 0, 1 }, Variants = new[] { "no-kd", "corrkd" }, Epochs = 2,
    };

    [Fact]
    public void OneWorkerAndTwoWorkersGiveIdenticalResults()
    {
        var one = Path.Combine(root, "jobs1");
        var two = Path.Combine(root, "jobs2");
        GridJobs.Run(Tiny, one, jobs: 1, GridRunner.Shard.All, "cpu", TextWriter.Null);
        GridJobs.Run(Tiny, two, jobs: 2, GridRunner.Shard.All, "cpu", TextWriter.Null);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(two, "logs"), "worker-*.log").Length);   // two processes did the work
        var check = ReferenceCheck.Compare(two, one);
        Assert.True(check.Identical, check.Verdict() + "\n" + string.Join("\n", check.Differences.Take(5)));
        Assert.Equal(6, check.Runs);
    }

    [Fact]
    public void CheckFindsAChangedValueAMissingRunAndIgnoresEpochSeconds()
    {
        var reference = Path.Combine(root, "ref");
        GridJobs.Run(Tiny with { Seeds = new[] { 0 }, EvaluateIntra = false }, reference, jobs: 1, GridRunner.Shard.All, "cpu", TextWriter.Null);
        var rerun = Path.Combine(root, "rerun");
        CopyTree(reference, rerun);
        // Epoch wall seconds differ between any two runs: not a difference.
        var history = Directory.GetFiles(rerun, "history.csv", SearchOption.AllDirectories).First();
        var lines = File.ReadAllLines(history);
        int col = Array.IndexOf(lines[0].Split(','), "seconds");
        lines[1] = string.Join(',', lines[1].Split(',').Select((c, i) => i == col ? "12345.6" : c));
        File.WriteAllLines(history, lines);
        Assert.True(ReferenceCheck.Compare(rerun, reference).Identical);

        var results = Directory.GetFiles(Path.Combine(rerun, "runs"), "results.csv", SearchOption.AllDirectories).Order().First();
        var rows = File.ReadAllLines(results);
        var cells = rows[1].Split(',');
        cells[^1] = (double.Parse(cells[^1], System.Globalization.CultureInfo.InvariantCulture) + 1e-9).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        rows[1] = string.Join(',', cells);
        File.WriteAllLines(results, rows);
        var changed = ReferenceCheck.Compare(rerun, reference);
        Assert.False(changed.Identical);
        Assert.Single(changed.Differences);
        Assert.StartsWith("DIFFERENT: 1 of ", changed.Verdict());

        // A reference of another CPU class names the classes as the likely cause, unless it lists the rerun's class as checked identical.
        var classFile = Path.Combine(reference, ReferenceResults.CpuClassFile);
        File.WriteAllText(classFile, "other-class\n");
        Assert.Contains("made on CPU class other-class, the rerun on " + KitRuntime.CpuClass, ReferenceCheck.Compare(rerun, reference).Verdict());
        File.WriteAllText(classFile, $"other-class\n{KitRuntime.CpuClass} # checked\n");
        Assert.DoesNotContain("CPU class", ReferenceCheck.Compare(rerun, reference).Verdict());
        File.Delete(classFile);

        Directory.Delete(Path.GetDirectoryName(results)!, true);
        var missing = ReferenceCheck.Compare(rerun, reference);
        Assert.Single(missing.MissingRuns);
        Assert.Contains("reference runs missing from the rerun", missing.Verdict());

        // Configs that differ (a reference made before the attention kernel) are named as the likely cause.
        foreach (var cfg in Directory.GetFiles(Path.Combine(reference, "configs"), "*.json"))
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cfg))!;
            json["model"]!.AsObject().Remove("attention");
            File.WriteAllText(cfg, json.ToJsonString());
        }
        Assert.Contains("the configs differ: default-mosi.json model.attention (reference not set, rerun \"kernel\")",
                        ReferenceCheck.Compare(rerun, reference).Verdict());
    }

    /// <summary>A reference's CPU-CLASS file names the class it was made on, then classes on which a rerun was found
    /// identical: those count as its own (the test below is then strict there), and a check from one of them names no
    /// CPU-class cause; any other class still does.</summary>
    [Fact]
    public void ACpuClassFileCanListClassesCheckedIdentical()
    {
        var reference = Path.Combine(root, "ref");
        Directory.CreateDirectory(reference);
        File.WriteAllText(Path.Combine(reference, ReferenceResults.CpuClassFile), "amd-avx2\n\namd-avx512   # a fresh clone's rerun matched\n");
        Assert.Equal("amd-avx2", ReferenceResults.ClassOf(reference));
        Assert.Equal(new[] { "amd-avx2", "amd-avx512" }, ReferenceResults.ClassesOf(reference));
        File.WriteAllText(Path.Combine(reference, ReferenceResults.CpuClassFile), "");
        var e = Assert.Throws<InvalidDataException>(() => ReferenceResults.ClassOf(reference));
        Assert.Contains(ReferenceResults.CpuClassFile, e.Message);
    }

    /// <summary>A grid made before the attention kernel (configs without model.attention) keeps its teachers' folder
    /// names, so it resumes and rebuilds as before: the committed study's configs still give its teachers' keys.</summary>
    [Fact]
    public void ConfigsWrittenBeforeTheKernelKeepTheirTeacherKeys()
    {
        var study = ReferenceResults.PathOf(ReferenceResults.Study);
        foreach (var (config, teachers) in new[] { ("default-mosi.json", "synthetic-mosi@0"), ("default-iemocap.json", "synthetic-iemocap@0") })
        {
            var cfg = CorrKD.Training.KitConfig.Load(Path.Combine(study, "configs", config));
            Assert.Null(cfg.Model.Attention);
            Assert.False(cfg.Model.AttentionKernel);
            Assert.DoesNotContain("\"attention\"", cfg.ToJson());
            var names = Directory.GetDirectories(Path.Combine(study, "teachers", teachers, "s0")).Select(Path.GetFileName).ToList();
            Assert.Contains(GridRunner.TeacherKey(cfg), names);
        }
        Assert.True(CorrKD.Training.KitConfig.Default("mosi").Model.AttentionKernel);   // the shipped configs choose the kernel
    }

    /// <summary>The committed study's teachers are named by the setting that uses them, found through the study's own
    /// (pre-kernel) configs; the shipped configs' keys would leave them named by hash ("teacher-be5719d5:teacher").</summary>
    [Fact]
    public void AStudyMadeBeforeTheKernelNamesItsTeachersBySetting()
    {
        var rows = GridRunner.CollectResults(new[] { ReferenceResults.PathOf(ReferenceResults.Study) });
        Assert.DoesNotContain(rows, r => System.Text.RegularExpressions.Regex.IsMatch(r.Variant, "^teacher-[0-9a-f]{8}:"));
        Assert.Contains(rows, r => r.Variant == "teacher-strong:teacher");
        Assert.Contains(rows, r => r.Variant == "teacher");
    }

    /// <summary>
    /// Bit for bit against the committed smoke reference of this machine's CPU class (results/reproduce-smoke@CLASS, or
    /// results/reproduce-smoke when that is of this class). On a CPU class without a reference of its own the bits
    /// are expected to differ (libtorch's kernels round differently), so the rerun must then hold the same runs and
    /// every result within 0.2 of the reference (Intel AVX-512 against AMD AVX2: at most 0.064), and the message says
    /// how to add a reference for the class.
    /// </summary>
    [Fact]
    public void SmokeReproductionMatchesTheCommittedReference()
    {
        var (committed, refClass) = ReferenceResults.For(ReferenceResults.ReproduceSmoke);
        Assert.True(Directory.Exists(committed), $"{committed} is missing: run ./kit reproduce --smoke --out results/reproduce-smoke and commit its text files");
        var dir = Path.Combine(root, "smoke");
        GridJobs.Run(Presets.Reproduce(smoke: true), dir, jobs: GridJobs.DefaultJobs, GridRunner.Shard.All, "cpu", TextWriter.Null);
        var check = ReferenceCheck.Compare(dir, committed);
        var regenerate = "If the math changed on purpose, regenerate the references (./kit reproduce --smoke --out results/reproduce-smoke and " +
                         "./kit reproduce --out results/reproduce, and the same into results/NAME@CLASS on a machine of each other CPU class " +
                         "that has one) and ./kit readme in the same commit.\n";
        if (refClass == KitRuntime.CpuClass)
        {
            Assert.True(check.Identical, $"the smoke reproduction no longer matches {committed} (made on this CPU class, {refClass}). " +
                regenerate + check.Verdict() + "\n" + string.Join("\n", check.Differences.Take(10)));
            return;
        }
        var results = check.Differences.Where(d => d.File == "results.csv").ToList();
        double worst = results.Count == 0 ? 0 : results.Max(d => double.IsFinite(d.Delta) ? Math.Abs(d.Delta) : double.PositiveInfinity);
        Assert.True(check.MissingRuns.Count == 0 && check.ExtraRuns.Count == 0 && worst <= 0.2,
            $"this CPU class ({KitRuntime.CpuClass}) has no smoke reference of its own and the rerun is far from {committed} ({refClass}): " +
            $"largest results.csv |Δ| {worst:G4}. " + regenerate + check.Verdict());
    }

    [Fact]
    public void ReadmeTablesAreTheCommittedResults()
    {
        var repo = ReferenceResults.RepoRoot();
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        var blocks = ReadmeBlocks.Render(repo);
        Assert.Contains("reproduce", blocks.Keys);
        if (Directory.Exists(ReferenceResults.PathOf(ReferenceResults.Study))) Assert.Contains("study", blocks.Keys);
        Assert.True(ReadmeBlocks.Apply(readme, blocks) == readme, "README.md's generated blocks differ from results/: run ./kit readme and commit");
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
