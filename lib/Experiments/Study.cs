using System.Text.Json.Nodes;
using CorrKD.Reporting;

namespace CorrKD.Experiments;

/// <summary>
/// One row of the study: a setting's paired difference against its no-kd baseline. <see cref="Teacher"/> marks a
/// teacher compared on complete input (the teacher gap); every other row is a student.
/// </summary>
public sealed record StudyEffect(string Setting, string Comparison, string Condition, int N, double MeanDiff, double CiLow, double CiHigh,
    double P, double PHolm, double SdDiff, int SeedsFor1Point, bool Teacher);

/// <summary>
/// "Where does CorrKD's gain come from?" — a question the paper never asks: against the same backbone trained
/// with random missingness and no distillation (no-kd), how much do kd, corrkd and each ablation add, how strong
/// is the teacher, and how sensitive is the answer to the choices the paper leaves open?
/// Every student is compared with the no-kd student of the same data seed and seed (paired), pooled over data
/// seeds; Holm-Bonferroni over the whole family; a power note gives the seeds needed for a 1-point effect.
/// </summary>
public static class Study
{
    /// <summary>The sentiment families, where K=3 and the teacher settings are studied; IEMOCAP gets the core contrasts.</summary>
    private static readonly string[] Sentiment = { "mosi", "mosei" };
    /// <summary>A stronger, regularised teacher: lower lr, more dropout, weight decay (SYNTHETIC-FINDINGS).</summary>
    private const string StrongTeacher = """{"learning_rate": 0.0005, "dropout": 0.3, "weight_decay": 0.0001, "selection": "loss"}""";
    /// <summary>The contrasts against no-kd every core setting trains.</summary>
    private static readonly string[] Core = { "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" };
    /// <summary>Pairs kept by the sensitivity settings (OPEN choices), against all pairs for the core contrasts.</summary>
    public const int SensitivityPairs = 3;

    /// <summary>
    /// The study grid: 10 seeds x 3 data seeds = 30 (seed, data seed) pairs, trained pair by pair so a study stopped
    /// early holds whole pairs over every data seed (<c>--resume</c> goes on). Core settings — the default (K=2) and a
    /// stronger teacher, K=3 with either teacher — train no-kd and the five core contrasts on the sentiment families;
    /// the default also runs on the other families given (synthetic-iemocap, K=4). The OPEN choices keep
    /// <see cref="SensitivityPairs"/> pairs. Settings only list the variants they change, so nothing is trained twice.
    /// </summary>
    public static GridSpec Spec(string[] datasets, bool smoke) => smoke
        ? new GridSpec
        {
            Datasets = datasets, DataSeeds = new[] { 0 }, Seeds = new[] { 0, 1 }, Epochs = 4, EvaluateIntra = false,
            Variants = new[] { "no-kd", "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" },
            Settings = new[] { GridSetting.Default, Setting("kd-tau1", """{"distillation": {"kd_temperature": 1}}""", "kd") with { MaxPairs = 1 } },
        }
        : new GridSpec
        {
            Datasets = datasets,
            DataSeeds = new[] { 0, 1, 2 },
            Seeds = Enumerable.Range(0, 10).ToArray(),
            EvaluateIntra = false,
            Variants = new[] { "no-kd", "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" },
            Settings = new[]
            {
                GridSetting.Default,
                Setting("teacher-strong", $$"""{"teacher": {{StrongTeacher}}}""", Core) with { Families = Sentiment },
                // K=3 (neutral class): RCD's non-target part becomes live; its own teachers and no-kd baseline.
                Setting("k3", """{"sentiment_classes": 3}""") with { Families = Sentiment },
                Setting("k3-teacher-strong", $$"""{"sentiment_classes": 3, "teacher": {{StrongTeacher}}}""", Core) with { Families = Sentiment, Baseline = "k3" },
                Sensitivity("kd-tau1", """{"distillation": {"kd_temperature": 1}}""", "kd"),
                Sensitivity("rcd-tau2", """{"distillation": {"rcd_temperature": 2}}""", "corrkd"),
                Sensitivity("weights-0.3", """{"distillation": {"lambda_scd": 0.3, "lambda_cpd": 0.3, "lambda_rcd": 0.3}}""", "corrkd"),
                Sensitivity("scd-margin-0.5", """{"distillation": {"scd_margin": 0.5}}""", "corrkd"),
                Sensitivity("scd-margin-2", """{"distillation": {"scd_margin": 2}}""", "corrkd"),
                Sensitivity("scd-unnormalised", """{"distillation": {"scd_normalize": false}}""", "corrkd"),
            },
        };

    private static GridSetting Setting(string name, string patch, params string[] variants) =>
        new(name, JsonNode.Parse(patch)!.AsObject(), variants.Length == 0 ? null : variants);

    private static GridSetting Sensitivity(string name, string patch, params string[] variants) =>
        Setting(name, patch, variants) with { Families = Sentiment, MaxPairs = SensitivityPairs };

    /// <summary>
    /// Paired differences against no-kd on the headline metric, inter-modality Avg (six incomplete sets) and
    /// complete input; teachers are compared on complete input (the teacher gap). Pooled over data seeds.
    /// </summary>
    public static (IReadOnlyList<StudyEffect> Effects, IReadOnlyList<PairedComparison> Comparisons) Analyse(IReadOnlyList<ResultRow> results, string metric)
    {
        var rows = Pooled(results);
        var variants = rows.Select(r => r.Variant).Distinct().Order(StringComparer.Ordinal).ToList();
        var comparisons = new List<PairedComparison>();
        foreach (var v in variants.Where(v => !v.EndsWith("no-kd", StringComparison.Ordinal)))
        {
            var setting = v.Contains(':') ? v[..v.IndexOf(':')] : "";
            var baseline = variants.Contains($"{setting}:no-kd") ? $"{setting}:no-kd" : "no-kd";
            if (!variants.Contains(baseline)) continue;
            bool teacher = IsTeacher(v);
            comparisons.AddRange(PairedStatistics.Compare(rows, v, baseline, metric, protocol: Protocols.Inter)
                .Where(c => c.Emotion == "" && (teacher ? c.Condition == "lav" : c.Condition is "avg" or "lav")));
        }
        var holm = PairedStatistics.Holm(comparisons.Select(c => c.Result.PValue).ToArray());
        comparisons = comparisons.Select((c, i) => c with { PHolm = holm[i] }).ToList();
        var effects = comparisons.Select(c => new StudyEffect(c.Dataset, $"{c.VariantA} − {c.VariantB}", c.Condition, c.Result.N,
            100 * c.Result.MeanDiff, 100 * c.Result.CiLow, 100 * c.Result.CiHigh, c.Result.PValue, c.PHolm, 100 * c.Result.SdDiff,
            c.Result.SdDiff > 0 ? PairedStatistics.SeedsNeeded(0.01, c.Result.SdDiff) : 2, IsTeacher(c.VariantA))).ToList();
        return (effects, comparisons);
    }

    /// <summary>A variant name ("teacher", "k3:teacher") that is a teacher; a setting named "teacher-strong" does not make its students teachers.</summary>
    public static bool IsTeacher(string variant) => variant == "teacher" || variant.EndsWith(":teacher", StringComparison.Ordinal);

    /// <summary>
    /// The power note: from the median sd of the students' per-seed differences on Avg, how many paired seeds a
    /// 1-point effect needs (two-sided paired t, alpha 0.05, power 0.8), beside the seeds the study has.
    /// </summary>
    public static string PowerNote(IReadOnlyList<StudyEffect> effects)
    {
        var avg = effects.Where(e => !e.Teacher && e.Condition == Protocols.Average).ToList();
        var sds = avg.Where(e => e.SdDiff > 0).Select(e => e.SdDiff).Order().ToList();
        int n = avg.Select(e => e.N).DefaultIfEmpty(0).Max();
        return sds.Count == 0
            ? "Power: the per-seed differences on Avg have no spread (or there are none), so no power estimate is possible."
            : $"Power: the per-seed paired differences on Avg have a median sd of {sds[sds.Count / 2]:F2} points; detecting a 1-point effect " +
              $"at alpha 0.05 with power 0.8 needs about {PairedStatistics.SeedsNeeded(0.01, sds[sds.Count / 2] / 100)} paired seeds (this study has {n}).";
    }

    /// <summary>
    /// Result rows with the inter Avg added and data seeds pooled: dataset "synthetic-mosi@1" becomes
    /// "synthetic-mosi" and seed s of data seed d becomes seed d * 1000 + s, so every (data seed, seed) is one pair.
    /// </summary>
    public static IReadOnlyList<ResultRow> Pooled(IReadOnlyList<ResultRow> results) =>
        ResultRows.WithInterAverage(results).Select(r =>
        {
            int at = r.Dataset.LastIndexOf('@');
            int ds = at >= 0 && int.TryParse(r.Dataset[(at + 1)..], out var d) ? d : 0;
            return r with { Dataset = at >= 0 ? r.Dataset[..at] : r.Dataset, Seed = ds * 1000 + r.Seed };
        }).ToList();

    /// <summary>
    /// Each variant's own inter-modality scores per data set, mean ± sd over the (data seed, seed) pairs: beside
    /// the paired effects, the sd shows how stable each variant is across seeds.
    /// </summary>
    public static IReadOnlyList<Table> ScoreTables(IReadOnlyList<ResultRow> results, string metric)
    {
        var agg = Aggregation.Summarize(Pooled(results).Where(r => r.Protocol == Protocols.Inter));
        var order = new TableOptions { Variants = Report.VariantOrder(agg.Select(a => a.Variant)) };
        return agg.Select(a => a.Dataset).Distinct().Order(StringComparer.Ordinal)
            .Select(d => Tables.InterModality(agg, d, metric, options: order) with { Name = $"study_scores_{d}" }).ToList();
    }

    /// <summary>
    /// How far a study folder has got: finished trainings per setting, wall time (first start to last finish)
    /// and training time summed over runs. A report on an unfinished study says so in its first line.
    /// </summary>
    public static string StatusText(GridSpec spec, string gridDir)
    {
        var status = GridRunner.Status(spec, gridDir);
        var (wall, training) = GridRunner.Timing(gridDir);
        int done = status.Sum(s => s.Done), total = status.Sum(s => s.Total);
        return $"Finished trainings: {done} of {total}{(done < total ? " (UNFINISHED: effects below use the finished pairs only)" : "")}; " +
               string.Join(", ", status.Select(s => $"{s.Setting} {s.Done}/{s.Total}")) + ". " +
               $"Wall time {(int)wall.TotalHours}:{wall:mm\\:ss} from the first start to the last finish; " +
               $"{(int)training.TotalHours}:{training:mm\\:ss} of training epochs summed over runs.";
    }

    /// <summary>Writes the effect table (Markdown/CSV/LaTeX), the forest plot and a plain-words power note,
    /// headed by <paramref name="header"/> (e.g. <see cref="StatusText"/>).</summary>
    public static string WriteReport(IReadOnlyList<ResultRow> results, string outDir, bool png, string header = "")
    {
        var metric = results.Any(r => r.Emotion.Length > 0) ? "f1_avg" : "f1_non0";
        var (effects, comparisons) = Analyse(results, metric);
        if (comparisons.Count == 0) throw new InvalidOperationException("study: no paired comparisons (needs no-kd and at least 2 common seeds)");
        var table = Tables.Paired(comparisons, name: "study_effects");
        table.Write(Path.Combine(outDir, "tables"));
        Charts.SaveWithPng(Charts.Forest(comparisons), Path.Combine(outDir, "charts", "study_effects.html"), png);
        var note = PowerNote(effects);
        var scores = ScoreTables(results, metric);
        foreach (var t in scores) t.Write(Path.Combine(outDir, "tables"));
        var md = (header.Length > 0 ? header + "\n\n" : "") + table.ToMarkdown() + "\n" + note + "\n" +
                 string.Concat(scores.Select(t => "\n" + t.ToMarkdown()));
        IO.AtomicFile.WriteAllText(Path.Combine(outDir, "study.md"), md);
        return md;
    }
}
