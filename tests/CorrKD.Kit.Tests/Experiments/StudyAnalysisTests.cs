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
        Assert.StartsWith("Power: the per-seed paired differences on Avg have a median sd of 1.83 points", Study.PowerNote(effects));
        Assert.EndsWith("(this study has 4).", Study.PowerNote(effects));
    }

    [Fact]
    public void ReportHoldsTheEffectsAndEachVariantsScoresOverPairs()
    {
        var dir = Directory.CreateTempSubdirectory("corrkd-study-report-");
        try
        {
            var md = Study.WriteReport(Results(), dir.FullName, png: false, header: "HEADER");
            Assert.StartsWith("HEADER", md);
            Assert.Contains("| synthetic-mosi inter avg | corrkd − no-kd | +3.00 |", md);
            // no-kd Avg over the 4 pairs: 70, 71, 72, 73 -> mean 71.50, sample sd 1.29.
            var noKd = md.Split('\n').Single(l => l.StartsWith("| no-kd |"));
            Assert.Contains("| 71.50 ± 1.29 | 80.50 ± 0.58 |", noKd);        // Avg, then complete (80, 80, 81, 81)
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tables", "study_scores_synthetic-mosi.csv")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "tables", "study_effects.tex")));
        }
        finally { dir.Delete(recursive: true); }
    }
}
