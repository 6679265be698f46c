using CorrKD.Experiments;
using CorrKD.Reporting;

namespace CorrKD.Notebooks;

/// <summary>Notebook 09's tables and verdict, in the forest plot's row order.</summary>
public static class StudyViews
{
    /// <summary>
    /// The effects as a table whose rows follow <see cref="Charts.Forest"/> top to bottom (teacher rows first,
    /// then the students, each in the analysis' order): question, data set, comparison, condition, pairs, mean, 95%
    /// interval and its half-width, the smallest effect the pairs detect, raw and Holm p.
    /// </summary>
    public static HtmlView EffectsTable(IReadOnlyList<StudyEffect> effects) => effects.Count == 0
        ? HtmlView.Pre(Study.NoComparisons)
        : effects.Where(e => e.Teacher).Concat(effects.Where(e => !e.Teacher))
            .Select(e => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["question"] = e.Question, ["data"] = e.Setting, ["comparison"] = e.Comparison,
                ["condition"] = e.Condition == "avg" ? "Avg" : e.Condition == "lav" ? "{l,a,v}" : e.Condition,
                ["n"] = e.N, ["mean diff"] = e.MeanDiff, ["95% CI"] = $"[{NumberText.Plain(e.CiLow)}, {NumberText.Plain(e.CiHigh)}]",
                ["±"] = e.HalfWidth, ["detectable"] = e.Detectable, ["p"] = e.P, ["p (Holm)"] = e.PHolm,
            }).AsHtml(decimals: 2);

    /// <summary>The forest plots of the study (<see cref="Study.ForestPanels"/>: per data set and selection rule), one under
    /// the other, or a note when the study has no two whole pairs yet.</summary>
    public static HtmlView Forest(IReadOnlyList<PairedComparison> comparisons, GridSpec spec)
    {
        var panels = Study.ForestPanels(comparisons, spec);
        return panels.Count == 0
            ? HtmlView.Pre(Study.NoComparisons)
            : new HtmlView(string.Concat(panels.Select(p => Charts.Forest(p.Rows, p.Title).AsHtml().Html)));
    }

    /// <summary>The answer in sentences (<see cref="Study.Answer"/>), one per question, as a list.</summary>
    public static HtmlView Answer(IReadOnlyList<StudyEffect> effects, GridSpec spec, bool smoke)
    {
        var items = Study.Answer(effects, spec).Select(a => "<li>" + System.Text.RegularExpressions.Regex.Replace(
            System.Net.WebUtility.HtmlEncode(a), @"\*\*(.+?)\*\*", "<b>$1</b>") + "</li>");
        var note = smoke ? "<p>(Smoke run: tiny data, few epochs — these sentences only show that the answer is computed, not what it is.)</p>" : "";
        return new HtmlView($"<ul>{string.Concat(items)}</ul>{note}");
    }

    /// <summary>How far each setting is from the precision rule (<see cref="Study.PrecisionRows"/>), or a note when the
    /// grid has none (a smoke grid, a reproduce grid).</summary>
    public static HtmlView Precision(IReadOnlyList<StudyEffect> effects, GridSpec spec, IReadOnlyList<ResultRow> results, string gridDir) =>
        Study.PrecisionTable(effects, spec, results, gridDir)?.AsHtml()
            ?? HtmlView.Pre("This grid has no precision rule (grid.json's stop): it trains every pair it lists.");

    /// <summary>The teacher gap of every data set in the results (each on its own headline metric), one line each.</summary>
    public static HtmlView TeacherGaps(IReadOnlyList<ResultRow> results)
    {
        var pooled = ResultRows.WithInterAverage(results);
        return HtmlView.Pre(string.Join("\n", pooled.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal)
            .Select(d => pooled.Where(r => r.Dataset == d).ToList()).Select(rows => Report.TeacherGap(rows, Study.MetricOf(rows), rows[0].Dataset))));
    }

    /// <summary>
    /// The collapse, as students would rather see it: each run's audio- and vision-only validation headline (their mean)
    /// per epoch, one thin line per run, coloured by student, the selected epoch as a dot; runs of one data set and
    /// the default setting. A run whose line sits at the bottom for the first epochs answered one class for every
    /// {a} and {v} input then.
    /// </summary>
    public static HtmlView CollapseChart(string gridDir, string dataset, params string[] variants)
    {
        var colours = new[] { "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" };
        var traces = new List<Plotly.NET.GenericChart>();
        var rows = Collapses.Read(gridDir).Where(r => r.Dataset == dataset && r.Setting == "default" && variants.Contains(r.Variant)).ToList();
        if (rows.Count == 0)
            return HtmlView.Pre($"No {string.Join(", ", variants)} run of {dataset} in {gridDir} logs per-set validation columns (it was made before they existed).");
        foreach (var (v, k) in variants.Select((v, k) => (v, k)))
        {
            bool first = true;
            foreach (var r in rows.Where(r => r.Variant == v))
            {
                var h = TrainingCharts.ReadHistory(r.RunDir);
                var av = h["valid_headline_a"].Zip(h["valid_headline_v"], (a, b) => 50 * (a + b)).ToArray();
                traces.Add(Plot.Trace("scatter", ("x", h["epoch"]), ("y", av), ("mode", "lines"), ("name", v), ("legendgroup", v), ("showlegend", first),
                    ("line", Plot.Obj(("color", colours[k % colours.Length]), ("width", 1.2))), ("opacity", 0.7),
                    ("hovertemplate", $"{v} d{r.DataSeed} s{r.Seed}<br>epoch %{{x}}: %{{y:.1f}}<extra></extra>")));
                traces.Add(Plot.Trace("scatter", ("x", new[] { (double)r.BestEpoch }), ("y", new[] { av[r.BestEpoch - 1] }), ("mode", "markers"),
                    ("legendgroup", v), ("showlegend", false), ("marker", Plot.Obj(("color", colours[k % colours.Length]), ("size", 7))),
                    ("hovertemplate", $"{v} d{r.DataSeed} s{r.Seed}: selected epoch %{{x}}<extra></extra>")));
                first = false;
            }
        }
        var layout = Plot.Layout($"{dataset}: mean of the {{a}} and {{v}} validation headline per epoch ({rows.Count} runs; dot = selected epoch)", 950, 450,
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis", Plot.Obj(("title", Plot.Obj(("text", "headline (%)"))))));
        return Plotly.NET.GenericChart.addLayout(layout, Plotly.NET.GenericChart.combine(traces)).AsHtml();
    }

    /// <summary>Each setting of a study grid as a row: its config change and the students it trains.</summary>
    public static HtmlView Settings(GridSpec spec) =>
        spec.Settings.Select(s => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["setting"] = s.Name, ["config change (merge patch)"] = s.Patch.Count == 0 ? "(none)" : s.Patch.ToJsonString(),
            ["students trained"] = string.Join(", ", s.Variants ?? spec.Variants),
        }).AsHtml();
}
