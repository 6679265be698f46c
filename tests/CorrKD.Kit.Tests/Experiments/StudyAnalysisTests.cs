using CorrKD.Experiments;
using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Experiments;

/// <summary>Study.Analyse and Study.WriteReport on hand-made results with known paired differences.</summary>
public class StudyAnalysisTests
{
    static readonly string[] Sets = { "l", "a", "v", "la", "lv", "av", "lav" };

    /// <summary>One run's inter rows: every incomplete set at <paramref name="incomplete"/>, complete input at <paramref name="complete"/>.</summary>
    static IEnumerable<ResultRow> Run(string dataset, string variant, int seed, double incomplete, double complete) =>
        Sets.Select(c => new ResultRow(dataset, variant, seed, Protocols.Inter, c, "", "f1_non0", c == "lav" ? complete : incomplete));

    /// <summary>
    /// 2 data seeds x 2 seeds. corrkd - no-kd on Avg is +0.02, +0.04 (data seed 0) and +0.01, +0.05 (data seed 1):
    /// mean +3 points over the 4 pooled pairs. The teacher is 1 point below no-kd on complete input in every pair.
    /// </summary>
    static List<ResultRow> Results()
    {
        var rows = new List<ResultRow>();
        double[][] gain = { new[] { 0.02, 0.04 }, new[] { 0.01, 0.05 } };
        for (int ds = 0; ds < 2; ds++)
        for (int s = 0; s < 2; s++)
        {
            var data = $"synthetic-mosi@{ds}";
            double baseAvg = 0.70 + 0.01 * s + 0.02 * ds, complete = 0.80 + 0.01 * ds;
            rows.AddRange(Run(data, "no-kd", s, baseAvg, complete));
            rows.AddRange(Run(data, "corrkd", s, baseAvg + gain[ds][s], complete));
            rows.AddRange(Run(data, "teacher", s, 0.5, complete - 0.01));
        }
        return rows;
    }

    [Fact]
    public void DataSeedsArePooledIntoPairs_AndEachStudentIsComparedWithItsNoKd()
    {
        var (effects, _) = Study.Analyse(Results(), "f1_non0");
        var avg = Assert.Single(effects, e => e.Comparison == "corrkd − no-kd" && e.Condition == "avg");
        Assert.Equal("synthetic-mosi", avg.Setting);
        Assert.Equal(4, avg.N);
        Assert.Equal(3.0, avg.MeanDiff, 9);
        var complete = Assert.Single(effects, e => e.Comparison == "corrkd − no-kd" && e.Condition == "lav");
        Assert.Equal(0.0, complete.MeanDiff, 9);
        var teacher = Assert.Single(effects, e => e.Comparison.StartsWith("teacher"));
        Assert.Equal("lav", teacher.Condition);                 // the teacher only on complete input
        Assert.Equal(-1.0, teacher.MeanDiff, 9);
        Assert.Equal(3, effects.Count);
        Assert.All(effects, e => Assert.True(e.PHolm >= e.P));
    }

    [Fact]
    public void ASettingNamedTeacherStrongStillHasStudents_AndThePowerNoteCountsThem()
    {
        var rows = Results();
        rows.AddRange(Results().Where(r => r.Variant == "corrkd").Select(r => r with { Variant = "teacher-strong:corrkd", Value = r.Value + 0.01 }));
        var (effects, _) = Study.Analyse(rows, "f1_non0");
        var strong = Assert.Single(effects, e => e.Comparison == "teacher-strong:corrkd − no-kd" && e.Condition == "avg");
        Assert.False(strong.Teacher);
        Assert.Equal(4.0, strong.MeanDiff, 9);
        Assert.Equal(new[] { "teacher − no-kd" }, effects.Where(e => e.Teacher).Select(e => e.Comparison));
        Assert.True(Study.IsTeacher("k3:teacher") && !Study.IsTeacher("teacher-strong:kd"));
        // Both student Avg rows have the same per-pair spread (sd of 2, 4, 1, 5 = 1.83 points).
        Assert.StartsWith("Power, per data set and baseline:\n- synthetic-mosi against no-kd: median sd of the per-pair differences on Avg 1.83 points over 4 pairs", Study.PowerNote(effects));
        Assert.Contains($"±{PairedStatistics.HalfWidth(4, 1.8257418583505538):F2}", Study.PowerNote(effects));
        // The setting without its own no-kd is also compared with its baseline setting, variant by variant: +1 in every pair.
        var change = Assert.Single(effects, e => e.Question == Study.SettingChange);
        Assert.Equal("teacher-strong:corrkd − corrkd", change.Comparison);
        Assert.Equal(1.0, change.MeanDiff, 9);
    }

    [Fact]
    public void ReportHoldsTheEffectsAndEachVariantsScoresOverPairs()
    {
        var dir = Directory.CreateTempSubdirectory("corrkd-study-report-");
        try
        {
            var md = Study.WriteReport(Results(), dir.FullName, png: false, header: "HEADER");
            Assert.StartsWith("HEADER", md);
            Assert.Contains("| synthetic-mosi | corrkd − no-kd | Avg | 4 | +3.00 |", md);
            Assert.Contains("**Does corrkd beat no-kd?** Wider than ±1.00: synthetic-mosi +3.00 [", md);
            // no-kd Avg over the 4 pairs: 70, 71, 72, 73 -> mean 71.50, sample sd 1.29.
            var noKd = md.Split('\n').Single(l => l.StartsWith("| no-kd |"));
            Assert.Contains("| 71.50 ± 1.29 | 80.50 ± 0.58 |", noKd);        // Avg, then complete (80, 80, 81, 81)
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tables", "study_scores_synthetic-mosi.csv")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tables", "study_effects.tex")));
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>A K=3 setting with its own no-kd, kd and corrkd, and a stronger K=3 teacher whose students use the K=3 no-kd.</summary>
    static List<ResultRow> WithK3()
    {
        var rows = Results();
        foreach (var r in Results().Where(r => r.Variant == "corrkd"))
        {
            rows.Add(r with { Variant = "kd", Value = r.Value - 0.005 });
            rows.Add(r with { Variant = "wo-scd", Value = r.Value - 0.01 });
        }
        foreach (var r in Results().Where(r => r.Variant != "teacher"))
        {
            double extra = r.Variant == "corrkd" ? 0.01 * (1 + r.Seed) : 0;   // the K=3 gain is 1 or 2 points larger
            rows.Add(r with { Variant = "k3:" + r.Variant, Value = r.Value - 0.1 + extra });
            if (r.Variant == "corrkd") rows.Add(r with { Variant = "k3-teacher-strong:corrkd", Value = r.Value - 0.1 + extra + 0.002 });
        }
        return rows;
    }

    [Fact]
    public void EachQuestionGetsItsComparisons_WithTheBaselineTheSpecNames()
    {
        var spec = Study.Spec(new[] { "synthetic-mosi" }, smoke: false);
        var (effects, _) = Study.Analyse(WithK3(), spec: spec);
        Assert.Equal(3.0, Assert.Single(effects, e => e.Comparison == "k3:corrkd − k3:no-kd" && e.Condition == "avg").MeanDiff - 1.5, 9);
        // k3-teacher-strong trains no no-kd: the spec says its baseline is k3's, not the K=2 default's.
        Assert.Single(effects, e => e.Comparison == "k3-teacher-strong:corrkd − k3:no-kd" && e.Condition == "avg");
        Assert.Equal(0.2, Assert.Single(effects, e => e.Comparison == "k3-teacher-strong:corrkd − k3:corrkd").MeanDiff, 9);
        Assert.Equal(0.5, Assert.Single(effects, e => e.Question == Study.CorrkdVersusKd && e.Condition == "avg" && e.Setting == "synthetic-mosi" && e.Comparison == "corrkd − kd").MeanDiff, 9);
        Assert.Equal(1.0, Assert.Single(effects, e => e.Question == Study.Terms && e.Comparison == "corrkd − wo-scd").MeanDiff, 9);
        var k = Assert.Single(effects, e => e.Question == Study.ClassCount);
        Assert.Equal("(k3:corrkd − k3:no-kd) − (corrkd − no-kd)", k.Comparison);
        Assert.Equal(1.5, k.MeanDiff, 9);                     // seeds 0 and 1: +1 and +2 points
        Assert.Equal(4, k.N);
        Assert.All(effects, e => Assert.True(e.PHolm >= e.P && double.IsFinite(e.Detectable)));
        var answer = Study.Answer(effects);
        Assert.Equal(6, answer.Count);
        Assert.Contains("Not yet measured", answer[5]);          // no select-metric runs here
        Assert.StartsWith("**Does corrkd beat no-kd?** Wider than ±1.00: synthetic-mosi +3.00 [", answer[0]);
        Assert.Contains("synthetic-mosi k3 +4.50 [", answer[0]);
        Assert.Contains("synthetic-mosi k3-teacher-strong +0.20 [", answer[3]);
        Assert.Contains("synthetic-mosi corrkd +1.50 [", answer[4]);
        // An interval clear of 0 says so, and says when Holm's correction does not keep it.
        var one = effects.First(e => e.Question == Study.VersusNoKd && e.Condition == "avg" && e.Comparison == "corrkd − no-kd");
        var clear = one with { CiLow = 0.5, CiHigh = 2.0, PHolm = 0.30 };
        Assert.Contains("higher; not after Holm's correction over every row, p 0.30", Study.Answer(new[] { clear })[0]);
        Assert.Contains("(4 pairs, higher)", Study.Answer(new[] { clear with { PHolm = 0.01 } })[0]);
        Assert.Contains("not shown, would detect", Study.Answer(new[] { one with { CiLow = -1, CiHigh = 2 } })[0]);
        // The rows within ±1 come first, then the wider ones, each part saying which it is.
        var narrow = one with { Setting = "synthetic-iemocap", MeanDiff = 0.2, CiLow = -0.5, CiHigh = 0.9 };
        Assert.Equal("**Does corrkd beat no-kd?** Within ±1.00: synthetic-iemocap +0.20 [-0.50, 0.90] (4 pairs, not shown, would detect "
                     + NumberText.Plain(one.Detectable) + "). Wider than ±1.00: synthetic-mosi +3.00 [-1.00, 7.00] (4 pairs, not shown, would detect "
                     + NumberText.Plain(one.Detectable) + ").",
            Study.Answer(new[] { one with { CiLow = -1, CiHigh = 7 }, narrow })[0]);
    }

    /// <summary>The K=3 and stronger-teacher settings under the headline selection are compared with select-metric, not
    /// with the default: the K=3 gain against select-metric's gain, the stronger teacher's students against its no-kd.</summary>
    [Fact]
    public void TheSelectionSettingsAreComparedWithTheirCounterpartUnderTheSameSelection()
    {
        var spec = Study.Spec(new[] { "synthetic-mosi" }, smoke: false);
        var rows = WithK3();
        foreach (var r in WithK3().Where(r => r.Variant is "no-kd" or "corrkd" or "k3:no-kd" or "k3:corrkd"))
        {
            // select-metric: no-kd 1 point up, corrkd as in the default; at K=3 its corrkd gains 2 points more than at K=2.
            bool k3 = r.Variant.StartsWith("k3:");
            string v = k3 ? r.Variant[3..] : r.Variant;
            double shift = v == "no-kd" ? 0.01 : 0;
            rows.Add(r with { Variant = (k3 ? "k3-select-metric:" : "select-metric:") + v, Value = r.Value + shift + (k3 && v == "corrkd" ? 0.02 : 0) });
            if (!k3 && v == "corrkd") rows.Add(r with { Variant = "teacher-strong-select-metric:corrkd", Value = r.Value + 0.005 });
            if (!k3 && v == "corrkd") rows.Add(r with { Variant = "select-metric:wo-scd", Value = r.Value - 0.01 });
        }
        var (effects, comparisons) = Study.Analyse(rows, spec: spec);
        // The forests split by selection rule: the headline-selected settings' rows get their own chart.
        var panels = Study.ForestPanels(comparisons, spec);
        Assert.Equal(new[] { "study_effects_synthetic-mosi", "study_effects_synthetic-mosi_select-metric" }, panels.Select(p => p.Stem));
        Assert.All(panels[1].Rows, c => Assert.Contains("select-metric:", c.VariantA));
        Assert.DoesNotContain(panels[0].Rows, c => c.VariantA.Contains("select-metric"));
        Assert.Contains("selected on validation headline", panels[1].Title);
        var k = Assert.Single(effects, e => e.Question == Study.ClassCount && e.Comparison.StartsWith("(k3-select-metric:corrkd"));
        Assert.Equal("(k3-select-metric:corrkd − k3-select-metric:no-kd) − (select-metric:corrkd − select-metric:no-kd)", k.Comparison);
        Assert.Equal(1.5 + 2.0, k.MeanDiff, 9);                         // the K=3 gain of WithK3 plus 2 points
        Assert.Equal(0.5, Assert.Single(effects, e => e.Comparison == "teacher-strong-select-metric:corrkd − select-metric:no-kd" && e.Condition == "avg").MeanDiff
                           - Assert.Single(effects, e => e.Comparison == "select-metric:corrkd − select-metric:no-kd" && e.Condition == "avg").MeanDiff, 9);
        Assert.Single(effects, e => e.Question == Study.SettingChange && e.Comparison == "teacher-strong-select-metric:corrkd − select-metric:corrkd");
        var answer = Study.Answer(effects, spec);
        Assert.Contains("synthetic-mosi select-metric corrkd +3.50 [", answer[4]);
        Assert.Contains("synthetic-mosi corrkd +1.50 [", answer[4]);
        Assert.Contains("synthetic-mosi select-metric wo-scd +1.00 [", answer[2]);   // a term's row names the setting once
    }

    [Fact]
    public void DetectableEffectAndHalfWidthMatchThePowerFunction()
    {
        double d = PairedStatistics.DetectableEffect(10, 2.0);
        Assert.Equal(0.8, PairedStatistics.Power(10, d, 2.0), 6);
        Assert.InRange(d, 1.95, 2.05);                                        // ≈ (t_{0.975,9} + z_0.8)·sd/√n = 1.96 for n = 10
        Assert.Equal(2.262157 * 2.0 / Math.Sqrt(10), PairedStatistics.HalfWidth(10, 2.0), 4);   // t_{0.975, 9} = 2.262157
        int n = PairedStatistics.PairsForHalfWidth(2.0, 1.0);
        Assert.True(PairedStatistics.HalfWidth(n, 2.0) <= 1.0 && PairedStatistics.HalfWidth(n - 1, 2.0) > 1.0);
        Assert.Equal(18, n);
    }

    [Fact]
    public void TheStudyGrewOnlyByAppendingTheSelectionSetting()
    {
        // A study folder started before the select-metric setting existed grows into today's spec without retraining.
        // The selection settings come last: select-metric, then (2026-12-04) the same fix at K=3 and with the stronger teacher.
        var full = Study.Spec(new[] { "synthetic-mosi", "synthetic-iemocap" }, smoke: false);
        Assert.Equal(new[] { Study.SelectMetric, "k3-select-metric", "teacher-strong-select-metric", "k3-teacher-strong-select-metric" },
            full.Settings[^4..].Select(s => s.Name));
        Assert.True(full.Extends(full with { Settings = full.Settings[..^4] }));
        Assert.True(full.Extends(full with { Settings = full.Settings[..^3] }));
        Assert.False((full with { Settings = full.Settings[..^1] }).Extends(full));
        // Each is compared with its counterpart under the same selection.
        Assert.Equal(new[] { "default", Study.SelectMetric, Study.SelectMetric, "k3-select-metric" }, full.Settings[^4..].Select(s => s.Baseline ?? "default"));
    }

    [Fact]
    public void AStudyWithOnePairSoFarGetsAReportThatSaysSo()
    {
        var dir = Directory.CreateTempSubdirectory("corrkd-study-one-pair-");
        try
        {
            var onePair = Results().Where(r => r.Dataset == "synthetic-mosi@0" && r.Seed == 0).ToList();
            var md = Study.WriteReport(onePair, dir.FullName, png: false);
            Assert.Contains("No paired comparisons yet", md);
            Assert.Contains("**Does corrkd beat no-kd?** Not yet measured", md);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tables", "study_effects.csv")));
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>A study folder pooled with a later generation (POOLED-WITH) analyses both folders' pairs; a pair in both,
    /// or a pooled folder that is not a study, is an error naming what is at fault.</summary>
    [Fact]
    public void APooledStudyJoinsTheOtherFoldersPairsAndRefusesAPairTrainedTwice()
    {
        var root = Path.Combine(Path.GetTempPath(), "corrkd-pooled-" + Guid.NewGuid().ToString("N"));
        try
        {
            string first = Path.Combine(root, "study"), later = Path.Combine(root, "study-kernel");
            void Run(string grid, int seed)
            {
                var d = Path.Combine(grid, "runs", "default", "m@0", $"s{seed}", "no-kd");
                Directory.CreateDirectory(d);
                File.WriteAllText(Path.Combine(d, "run.json"), "{\"environment\":{}}");
                File.WriteAllText(Path.Combine(d, "results.csv"),
                    $"dataset,variant,seed,protocol,condition,emotion,metric,value\nm@0,no-kd,{seed},inter,avg,,f1_non0,0.5\n");
            }
            Run(first, 0);
            Run(later, 10);
            File.WriteAllText(Path.Combine(later, "grid.json"), "{}");
            Assert.Equal(new[] { first }, Study.Folders(first));
            Assert.Single(Study.Results(first));

            File.WriteAllText(Path.Combine(first, Study.PoolFile), "../study-kernel   # a later generation\n\n");
            Assert.Equal(new[] { first, Path.GetFullPath(later) }, Study.Folders(first));
            Assert.Equal(new[] { 0, 10 }, Study.Results(first).Select(r => r.Seed).Order());

            Run(later, 0);
            var twice = Assert.Throws<InvalidDataException>(() => Study.Results(first));
            Assert.Contains("pair m@0 seed 0 is in both", twice.Message);
            Assert.Contains(Study.PoolFile, twice.Message);

            File.WriteAllText(Path.Combine(first, Study.PoolFile), "../nowhere\n");
            var missing = Assert.Throws<DirectoryNotFoundException>(() => Study.Folders(first));
            Assert.Contains("'../nowhere' is not a study folder", missing.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void TheStatusCountsFinishedTrainingsByTheCpuClassTheirRunJsonRecords()
    {
        var grid = Path.Combine(Path.GetTempPath(), "corrkd-trained-on-" + Guid.NewGuid().ToString("N"));
        try
        {
            void Run(string rel, string? cpuClass, bool finished = true)
            {
                var d = Path.Combine(grid, rel);
                Directory.CreateDirectory(d);
                File.WriteAllText(Path.Combine(d, "run.json"), cpuClass == null ? "{\"environment\":{}}"
                    : $"{{\"environment\":{{\"numerics\":{{\"cpu_class\":\"{cpuClass}\"}}}}}}");
                if (finished) File.WriteAllText(Path.Combine(d, "results.csv"), "");
            }
            Run("teachers/m@0/s0/teacher-1", null);
            Run("runs/default/m@0/s0/kd", null);
            Run("runs/default/m@0/s1/kd", "amd-avx2");
            Run("runs/default/m@0/s2/kd", "amd-avx2", finished: false);   // unfinished runs are not counted
            Run("report/x", "intel-avx512");                              // nor anything outside teachers/ and runs/
            Assert.Equal("CPU class not recorded 2, amd-avx2 1", Study.TrainedOn(grid));
        }
        finally { Directory.Delete(grid, true); }
    }

    /// <summary>One Avg row of a made-up effects list: its 95% interval is ±<paramref name="halfWidth"/> around +1 point.</summary>
    static StudyEffect Row(string comparison, string question, int n, double halfWidth) =>
        new("synthetic-mosi", comparison, "avg", n, 1.0, 1.0 - halfWidth, 1.0 + halfWidth, 0.01, 0.05, 1.0, 4, false) { Question = question, Detectable = 1.4 * halfWidth };

    [Fact]
    public void ThePrecisionRuleStopsASettingOnceItsOwnIntervalsAreNarrow_ButNotWhileASettingItIsTheBaselineOfGoesOn()
    {
        var spec = new GridSpec
        {
            Datasets = new[] { "synthetic-mosi" }, Variants = new[] { "no-kd", "kd", "corrkd" }, Stop = new StopRule(1.0, 10),
            Settings = new[]
            {
                GridSetting.Default,
                new GridSetting("strong", new System.Text.Json.Nodes.JsonObject(), new[] { "kd", "corrkd" }),        // compared with the default no-kd
                new GridSetting("sens", new System.Text.Json.Nodes.JsonObject(), new[] { "corrkd" }) { MaxPairs = 3 },  // keeps 3 pairs: never stops anything
            },
        };
        List<StudyEffect> Effects(double strongHalfWidth, int corrkdKdPairs = 12) => new()
        {
            Row("kd − no-kd", Study.VersusNoKd, 12, 0.8), Row("corrkd − no-kd", Study.VersusNoKd, 12, 0.5), Row("corrkd − kd", Study.CorrkdVersusKd, corrkdKdPairs, 0.6),
            Row("strong:kd − no-kd", Study.VersusNoKd, 12, strongHalfWidth), Row("strong:corrkd − no-kd", Study.VersusNoKd, 12, 0.5),
            Row("strong:corrkd − strong:kd", Study.CorrkdVersusKd, 12, 0.5),
            Row("sens:corrkd − corrkd", Study.SettingChange, 3, 4.0), Row("strong:kd − kd", Study.SettingChange, 12, 3.0),   // across settings: not looked at
        };
        IReadOnlyDictionary<(string, string), string> Stopped(List<StudyEffect> e) => Study.Stops(e, spec, d => d);

        Assert.Empty(Stopped(Effects(strongHalfWidth: 1.5)));      // the default is settled, but the stronger teacher's pairs need its no-kd
        var both = Stopped(Effects(strongHalfWidth: 0.9));
        Assert.Equal(new[] { ("default", "synthetic-mosi"), ("strong", "synthetic-mosi") }, both.Keys.Order());
        Assert.Equal("12 pairs, widest ±0.80", both[("default", "synthetic-mosi")]);
        // The table says the same per setting, with the pairs the rule needs at each row's spread (sd 1: 7 pairs, so the minimum, 10).
        var rows = Study.PrecisionRows(Effects(strongHalfWidth: 1.5), spec, d => d);
        Assert.Equal(new[] { "default", "strong" }, rows.Select(r => r.Setting));
        Assert.True(rows[0].Settled && !rows[0].Stopped && !rows[1].Settled);
        Assert.Equal((12, 1.5, 10), (rows[1].Pairs, rows[1].Widest, rows[1].PairsNeeded));
        Assert.Equal((1.12, 2.1), (Math.Round(rows[0].Detectable, 6), Math.Round(rows[1].Detectable, 6)));   // the largest over the setting's rows
        var md = Study.PrecisionTable(rows, spec.Stop!).ToMarkdown();
        Assert.Contains("| synthetic-mosi | default | 12 | 0.80 | 1.12 | 10 | settled; trains only its no-kd, for a setting compared with it |", md);
        Assert.Contains("| synthetic-mosi | strong | 12 | 1.50 | 2.10 | 10 | goes on |", md);
        // The pairs each still wants (the queue's order): strong's shortfall, at least 1 while unsettled; the settled default
        // takes its user's. A wider spread asks for more pairs; an unsettled baseline wants the fewer of its own and its user's.
        Assert.Equal(new[] { 1, 1 }, rows.Select(r => r.PairsLeft));
        List<StudyEffect> Spread(List<StudyEffect> e, string comparison, double sd) => e.Select(x => x.Comparison == comparison ? x with { SdDiff = sd } : x).ToList();
        var wide = Spread(Effects(strongHalfWidth: 1.5), "strong:kd − no-kd", 3.0);
        int strongNeeds = PairedStatistics.PairsForHalfWidth(3.0, 1.0);
        Assert.Equal(new[] { strongNeeds - 12, strongNeeds - 12 }, Study.PrecisionRows(wide, spec, d => d).Select(r => r.PairsLeft));
        // More than the grids hold: the table says so (the rule cannot be met without growing the grid).
        Assert.Contains($"| synthetic-mosi | strong | 12 | 1.50 | 2.10 | {strongNeeds} | goes on; needs more than the 30 pairs the grids hold |",
            Study.PrecisionTable(Study.PrecisionRows(wide, spec, d => d), spec.Stop!, _ => 30).ToMarkdown());
        Assert.Contains($"| {strongNeeds} | goes on |", Study.PrecisionTable(Study.PrecisionRows(wide, spec, d => d), spec.Stop!, _ => strongNeeds).ToMarkdown());
        var both2 = Spread(Spread(wide, "kd − no-kd", 2.0), "kd − no-kd", 2.0).Select(x => x.Comparison == "kd − no-kd" ? x with { CiLow = -1, CiHigh = 3 } : x).ToList();
        Assert.Equal(new[] { PairedStatistics.PairsForHalfWidth(2.0, 1.0) - 12, strongNeeds - 12 }, Study.PrecisionRows(both2, spec, d => d).Select(r => r.PairsLeft));
        Assert.Equal(new[] { 0, 0 }, Study.PrecisionRows(Effects(strongHalfWidth: 0.9), spec, d => d).Select(r => r.PairsLeft));   // both stopped
        // Too few pairs on one row, a student without its row against no-kd, or an interval that is not a number: not settled.
        Assert.Equal(new[] { ("strong", "synthetic-mosi") }, Stopped(Effects(0.9, corrkdKdPairs: 9)).Keys);
        Assert.Equal(new[] { ("strong", "synthetic-mosi") }, Stopped(Effects(0.9).Where(e => e.Comparison != "corrkd − no-kd").ToList()).Keys);
        Assert.Equal(new[] { ("strong", "synthetic-mosi") },
            Stopped(Effects(0.9).Select(e => e.Comparison == "kd − no-kd" ? e with { CiLow = double.NaN } : e).ToList()).Keys);
        Assert.Empty(Study.Stops(Effects(0.9), spec with { Stop = null }, d => d));
        Assert.Empty(Study.Stops(Effects(0.9), spec, d => null));   // a data set with no results yet
        Assert.Equal(Study.Precision, Study.Spec(new[] { "synthetic-mosi" }, smoke: false).Stop);
        var json = spec.ToJson();
        Assert.Equal(spec.Stop, GridSpec.Parse(json, "grid.json").Stop);
        var bad = Assert.Throws<ArgumentException>(() => GridSpec.Parse(json.Replace("\"min_pairs\": 10", "\"min_pairs\": 1"), "x/grid.json"));
        Assert.Contains("x/grid.json: invalid grid spec: stop needs half_width > 0 and min_pairs >= 2", bad.Message);
    }

    /// <summary>On a grid folder: the groups of a stopped setting that have not started leave the queue and the status
    /// counts, a started one stays, and the status says what stopped.</summary>
    [Fact]
    public void AStoppedSettingsUnstartedPairsLeaveTheQueue_AndTheStatusSaysWhy()
    {
        var dir = Path.Combine(Path.GetTempPath(), "corrkd-precision-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = new GridSpec
            {
                Datasets = new[] { "synthetic-mosi" }, Seeds = new[] { 0, 1, 2, 3 }, Variants = new[] { "no-kd", "kd" }, EvaluateIntra = false,
                Stop = new StopRule(1.0, 2),
            };
            GridRunner.Prepare(spec, dir);
            var groups = spec.Groups();
            foreach (var g in groups.Take(2))
                foreach (var c in GridRunner.CellsOf(spec, dir, g).Where(c => !c.IsTeacher))
                {
                    Directory.CreateDirectory(c.Dir);
                    File.WriteAllText(Path.Combine(c.Dir, "run.json"), "{\"environment\":{\"started_utc\":\"2026-12-04T00:00:00Z\"}}");
                    double gain = c.Variant == "kd" ? 0.01 + 0.0001 * g.Seed : 0;     // kd − no-kd: +1.00 and +1.01 points
                    CorrKD.Reporting.ResultsCsv.Write(Path.Combine(c.Dir, "results.csv"), Run($"synthetic-mosi@{g.DataSeed}", c.Variant, g.Seed, 0.7 + gain, 0.8));
                }
            var started = GridRunner.CellsOf(spec, dir, groups[2]).Single(c => c.Variant == "kd").Dir;   // pair 3 began before the rule stopped it
            Directory.CreateDirectory(started);
            File.WriteAllText(Path.Combine(started, "run.json"), "{}");
            var teacher = GridRunner.CellsOf(spec, dir, groups[3]).Single(c => c.IsTeacher).Dir;     // pair 4 has only its teacher: it still counts
            Directory.CreateDirectory(teacher);
            CorrKD.Reporting.ResultsCsv.Write(Path.Combine(teacher, "results.csv"), Run("synthetic-mosi@0", "teacher", 3, 0.5, 0.8));

            var queued = GridRunner.Queue(spec, dir, GridRunner.Shard.All);
            Assert.Equal(new[] { 0, 1, 2 }, queued.Select(c => c.Group.Seed).Distinct().Order());
            Assert.Equal(4, GridRunner.Queue(spec with { Stop = null }, dir, GridRunner.Shard.All).Select(c => c.Group.Seed).Distinct().Count());
            Assert.Equal(("default", 5, 10), Assert.Single(GridRunner.Status(spec, dir)));   // 3 pairs of a teacher and two students, and pair 4's teacher
            Assert.Contains("stopped so far: synthetic-mosi default (2 pairs, widest ±0.06); the others take pairs fewest-needed first.", Study.StatusText(spec, dir, withWallTime: false));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    /// <summary>On a grid folder: a settled setting that another still compares with its no-kd trains only that no-kd on new
    /// pairs; the queue takes first the setting that wants the fewest pairs, pair by pair, each pair's teacher first.</summary>
    [Fact]
    public void ASettledBaselineTrainsOnlyItsNoKd_AndTheQueueServesTheSettingThatWantsFewestPairsFirst()
    {
        var dir = Path.Combine(Path.GetTempPath(), "corrkd-plan-" + Guid.NewGuid().ToString("N"));
        try
        {
            var empty = new System.Text.Json.Nodes.JsonObject();
            var spec = new GridSpec
            {
                Datasets = new[] { "synthetic-mosi" }, Seeds = new[] { 0, 1, 2, 3 }, Variants = new[] { "no-kd", "kd" }, EvaluateIntra = false,
                Stop = new StopRule(1.0, 2),
                Settings = new[]
                {
                    GridSetting.Default,
                    new GridSetting("strong", empty, new[] { "kd" }),    // compared with the default no-kd
                    new GridSetting("solo", (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"student": {"selection": "metric"}}""")!),
                },
            };
            GridRunner.Prepare(spec, dir);
            var groups = spec.Groups();
            void Finish(GridRunner.Cell c, double avg)
            {
                Directory.CreateDirectory(c.Dir);
                File.WriteAllText(Path.Combine(c.Dir, "run.json"), "{\"environment\":{\"started_utc\":\"2026-12-04T00:00:00Z\"}}");
                CorrKD.Reporting.ResultsCsv.Write(Path.Combine(c.Dir, "results.csv"), Run($"synthetic-mosi@{c.Group.DataSeed}", c.Variant, c.Group.Seed, avg, 0.8));
            }
            // Pairs 0 and 1: the default's kd − no-kd is +1.00 and +1.01 points (settled); strong's kd is +1 and +9 (far from it).
            foreach (var g in groups.Where(g => g.Seed < 2 && g.Setting.Name != "solo"))
                foreach (var c in GridRunner.CellsOf(spec, dir, g).Where(c => !c.Done))
                    Finish(c, c.Variant switch { "teacher" => 0.5, "kd" when g.Setting.Name == "strong" => 0.71 + 0.08 * g.Seed, "kd" => 0.71 + 0.0001 * g.Seed, _ => 0.7 });

            var rows = Study.PrecisionOf(spec, dir);
            Assert.Equal(new[] { "default", "strong", "solo" }, rows.Select(r => r.Setting));
            Assert.Equal((4, 0), (Study.PairsHeld(dir, "synthetic-mosi"), Study.PairsHeld(dir, "synthetic-iemocap")));
            Assert.True(rows[0].Settled && !rows[0].Stopped && !rows[1].Settled);
            Assert.Equal((0, 2), (rows[2].Pairs, rows[2].PairsLeft));            // no results yet: the rule's minimum
            Assert.True(rows[1].PairsLeft > 2 && rows[0].PairsLeft == rows[1].PairsLeft);

            var queue = GridRunner.Queue(spec, dir, GridRunner.Shard.All).Where(c => !c.Done).Select(c => $"{c.Group.Setting.Name}/{c.Group.Seed}/{c.Variant}").ToList();
            Assert.Equal(new[]
            {
                "solo/0/no-kd", "solo/0/kd", "solo/1/no-kd", "solo/1/kd",        // the teachers of pairs 0 and 1 are done
                "solo/2/teacher", "solo/2/no-kd", "solo/2/kd", "solo/3/teacher", "solo/3/no-kd", "solo/3/kd",
                "default/2/no-kd", "strong/2/kd", "default/3/no-kd", "strong/3/kd",   // the default's kd leaves; its no-kd stays for strong
            }, queue);
            Assert.Equal(new[] { ("default", 6, 10), ("strong", 2, 4), ("solo", 0, 8) },
                GridRunner.Status(spec, dir).Select(s => (s.Setting, s.Done, s.Total)));   // a shared teacher counts under the default
            Assert.Contains("stopped so far: none; settled, training only the no-kd another setting compares with: synthetic-mosi default (2 pairs, widest ±0.06);",
                Study.StatusText(spec, dir, withWallTime: false));
            // A begun group is finished: the default's kd of pair 2 has started, so it stays.
            var begun = GridRunner.CellsOf(spec, dir, groups.Single(g => g.Setting.Name == "default" && g.Seed == 2)).Single(c => c.Variant == "kd");
            Directory.CreateDirectory(begun.Dir);
            File.WriteAllText(Path.Combine(begun.Dir, "run.json"), "{}");
            Assert.Contains(GridRunner.Queue(spec, dir, GridRunner.Shard.All), c => c.Dir == begun.Dir);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
