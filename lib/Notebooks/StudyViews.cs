using CorrKD.Experiments;
using CorrKD.Reporting;

namespace CorrKD.Notebooks;

/// <summary>Notebook 09's tables and verdict, in the forest plot's row order.</summary>
public static class StudyViews
{
    /// <summary>
    /// The effects against no-kd as a table whose rows follow <see cref="ResultCharts.Forest"/> top to bottom:
    /// teacher rows first, then the students, each in the analysis' order.
    /// </summary>
    public static HtmlView EffectsTable(IReadOnlyList<StudyEffect> effects) =>
        effects.Where(e => e.Teacher).Concat(effects.Where(e => !e.Teacher))
            .Select(e => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["comparison"] = e.Comparison, ["condition"] = e.Condition == "avg" ? "Avg" : e.Condition == "lav" ? "{l,a,v}" : e.Condition,
                ["data"] = e.Setting, ["n"] = e.N, ["mean diff"] = e.MeanDiff, ["95% CI"] = $"[{NumberText.Plain(e.CiLow)}, {NumberText.Plain(e.CiHigh)}]",
                ["p"] = e.P, ["p (Holm)"] = e.PHolm, ["sd diff"] = e.SdDiff, ["seeds for 1 pt"] = e.SeedsFor1Point,
            }).AsHtml(decimals: 2);

    /// <summary>
    /// The answer in sentences, computed from the effects: a student setting "beats" no-kd when its Holm-adjusted p is
    /// below 0.05 and its interval lies above 0 (and "loses" when the same holds below 0); then the largest mean
    /// difference, the teacher gap and, when nothing is significant, the power note.
    /// </summary>
    public static HtmlView Answer(IReadOnlyList<StudyEffect> effects, string powerNote, bool smoke)
    {
        var avg = effects.Where(e => !e.Teacher && e.Condition == "avg").ToList();
        var beats = avg.Where(e => e.PHolm < 0.05 && e.CiLow > 0).ToList();
        var loses = avg.Where(e => e.PHolm < 0.05 && e.CiHigh < 0).ToList();
        var teacherRows = effects.Where(e => e.Teacher).ToList();
        int nSeeds = effects.Select(e => e.N).DefaultIfEmpty(0).Max();
        static string Pts(StudyEffect e) => $"{e.Comparison} {NumberText.Signed(e.MeanDiff)} points [{NumberText.Plain(e.CiLow)}, {NumberText.Plain(e.CiHigh)}]";
        var answer = new List<string>
        {
            beats.Count == 0
                ? $"No setting beats no-kd on Avg beyond its 95% interval after Holm correction ({avg.Count} student comparisons on Avg, {nSeeds} paired seeds)."
                : $"{beats.Count} of {avg.Count} student settings beat no-kd on Avg after Holm correction: " + string.Join("; ", beats.Select(Pts)) + ".",
        };
        if (loses.Count > 0) answer.Add("Significantly worse than no-kd on Avg: " + string.Join("; ", loses.Select(Pts)) + ".");
        if (avg.Count > 0)
        {
            var best = avg.OrderByDescending(e => e.MeanDiff).First();
            answer.Add($"Largest mean difference on Avg: {Pts(best)}, Holm p {best.PHolm:F3}.");
        }
        if (teacherRows.Count > 0)
            answer.Add("Teacher minus no-kd on complete input: " + string.Join("; ", teacherRows.Select(Pts)) +
                (teacherRows.All(e => e.MeanDiff <= 0) ? " — the teacher is no better than the student it should teach, so there is little to distil." : "."));
        if (beats.Count == 0 && avg.Any(e => e.SdDiff > 0))
            answer.Add($"Read with the power note: {powerNote.Replace("Power: ", "")} A non-significant result with too few seeds is 'not shown', not 'no effect'.");
        if (smoke) answer.Add("(Smoke run: tiny data, few epochs — these sentences only show that the answer is computed, not what it is.)");
        return HtmlView.Pre(string.Join("\n", answer));
    }

    /// <summary>The teacher gap of every data set in the results, one line each.</summary>
    public static HtmlView TeacherGaps(IReadOnlyList<ResultRow> results, string metric)
    {
        var pooled = ResultRows.WithInterAverage(results);
        return HtmlView.Pre(string.Join("\n", pooled.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal)
            .Select(d => Report.TeacherGap(pooled.Where(r => r.Dataset == d).ToList(), metric, d))));
    }

    /// <summary>Each setting of a study grid as a row: its config change and the students it trains.</summary>
    public static HtmlView Settings(GridSpec spec) =>
        spec.Settings.Select(s => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["setting"] = s.Name, ["config change (merge patch)"] = s.Patch.Count == 0 ? "(none)" : s.Patch.ToJsonString(),
            ["students trained"] = string.Join(", ", s.Variants ?? spec.Variants),
        }).AsHtml();
}
