using System.Globalization;
using CorrKD.Reporting;
using Plotly.NET;

namespace CorrKD.Notebooks;

/// <summary>
/// The result charts of notebooks 02 and 06-09, drawn so they cannot mislead: every F1 chart marks the
/// constant-predictor level (<see cref="ConstantPredictor"/>), ±sd bands stay inside [0, 100], published numbers never
/// share an axis with the kit's synthetic ones, and teacher comparisons get their own panel.
/// </summary>
public static class ResultCharts
{
    private static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" };
    private const string FloorColor = "#444444";

    /// <summary>Intra-modality protocols in panel order: all modalities at once, then one modality at a time.</summary>
    public static readonly (string Protocol, string Title)[] IntraProtocols =
    {
        ("intra", "all modalities dropped at rate r"), ("intra-l", "only language dropped"),
        ("intra-a", "only audio dropped"), ("intra-v", "only vision dropped"),
    };

    private static string Rgba(int i, double alpha)
    {
        var hex = Palette[i % Palette.Length];
        int r = Convert.ToInt32(hex[1..3], 16), g = Convert.ToInt32(hex[3..5], 16), b = Convert.ToInt32(hex[5..7], 16);
        return $"rgba({r},{g},{b},{alpha.ToString(CultureInfo.InvariantCulture)})";
    }


    /// <summary>The dashed constant-predictor line across one subplot (axis suffix "" for x/y, "2" for x2/y2, ...).</summary>
    private static (object Shape, object Label) FloorLine(double levelPercent, string axis = "")
    {
        var shape = Plot.Obj(("type", "line"), ("xref", $"x{axis} domain"), ("x0", 0), ("x1", 1), ("yref", $"y{axis}"),
            ("y0", levelPercent), ("y1", levelPercent), ("line", Plot.Obj(("color", FloorColor), ("dash", "dash"), ("width", 1.5))));
        var label = Plot.Obj(("text", $"always the majority class: {levelPercent:F1}"), ("showarrow", false), ("xref", $"x{axis} domain"),
            ("x", 1.0), ("xanchor", "right"), ("yref", $"y{axis}"), ("y", levelPercent), ("yanchor", "bottom"),
            ("font", Plot.Obj(("size", 11), ("color", FloorColor))));
        return (shape, label);
    }

    /// <summary>
    /// Grouped bars per available modality set (mean ± sd over seeds) with the constant-predictor level as a dashed line.
    /// <paramref name="floor"/> is a proportion (from <see cref="ConstantPredictor.Level"/>); null draws no line.
    /// </summary>
    public static GenericChart ConditionBars(IReadOnlyList<AggregateRow> agg, string dataset, string metric, IReadOnlyList<string>? variants, double? floor)
    {
        var chart = Charts.ConditionBars(agg, dataset, metric, "", variants);
        if (floor is not double f) return chart;
        var (shape, label) = FloorLine(100 * f);
        var extra = new Layout();
        extra.SetProperty("shapes", new[] { shape });
        extra.SetProperty("annotations", new[] { label });
        extra.SetProperty("yaxis", Plot.Obj(("title", Plot.Obj(("text", $"{metric} (%)"))), ("range", new[] { 0, 100 })));
        return GenericChart.addLayout(extra, chart);
    }

    /// <summary>
    /// The kit's ablation: each variant's Avg over the six incomplete sets (mean ± sd over seeds), synthetic data only;
    /// the paper's real-MOSI ablation belongs in a table beside it, never on this axis.
    /// </summary>
    public static GenericChart AblationBars(IReadOnlyList<AggregateRow> agg, string dataset, string metric, IReadOnlyList<string> variants, double? floor)
    {
        var cells = variants.Select(v => agg.FirstOrDefault(a => a.Dataset == dataset && a.Variant == v && a.Protocol == Protocols.Inter
                                                                  && a.Condition == Protocols.Average && a.Metric == metric && a.Emotion == "")).ToList();
        var bars = Plot.Trace("bar", ("x", variants.ToArray()), ("y", cells.Select(a => a is null ? (double?)null : 100 * a.Mean).ToArray()),
            ("marker", Plot.Obj(("color", Palette[0]))), ("name", "this kit, synthetic data"),
            ("error_y", Plot.Obj(("type", "data"), ("visible", true), ("array", cells.Select(a => a is null || double.IsNaN(a.Std) ? 0 : 100 * a.Std).ToArray()))));
        var shapes = new List<object>(); var labels = new List<object>();
        if (floor is double f) { var (s, l) = FloorLine(100 * f); shapes.Add(s); labels.Add(l); }
        var layout = Plot.Layout($"{dataset} (synthetic): ablation, {metric} averaged over the six incomplete sets (mean ± sd over seeds)", 900, 460,
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", "variant"))))),
            ("yaxis", Plot.Obj(("title", Plot.Obj(("text", $"{metric} (%)"))), ("range", new[] { 0, 100 }))),
            ("shapes", shapes.ToArray()), ("annotations", labels.ToArray()), ("showlegend", false));
        return GenericChart.addLayout(layout, bars);
    }

    /// <summary>
    /// Metric against the frame-drop rate r, one panel per intra-modality protocol present in <paramref name="agg"/>
    /// (all modalities at once; then language, audio, vision alone when the results carry intra-l/-a/-v): mean over
    /// seeds with a ±sd band clipped to [0, 100], and the constant-predictor level in every panel.
    /// </summary>
    public static GenericChart IntraCurves(IReadOnlyList<AggregateRow> agg, string dataset, string metric, IReadOnlyList<string> variants, double? floor)
    {
        var panels = IntraProtocols.Where(p => agg.Any(a => a.Dataset == dataset && a.Protocol == p.Protocol && a.Metric == metric)).ToList();
        if (panels.Count == 0) throw new InvalidOperationException($"{dataset}: no intra-modality results for {metric}");
        int cols = panels.Count == 1 ? 1 : 2, rows = (panels.Count + 1) / 2;
        var traces = new List<GenericChart>(); var shapes = new List<object>(); var labels = new List<object>();
        for (int p = 0; p < panels.Count; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            for (int i = 0; i < variants.Count; i++)
            {
                var pts = agg.Where(a => a.Dataset == dataset && a.Protocol == panels[p].Protocol && a.Metric == metric && a.Emotion == "" && a.Variant == variants[i])
                    .Select(a => (Rate: double.Parse(a.Condition, CultureInfo.InvariantCulture), Mean: 100 * a.Mean, Sd: double.IsNaN(a.Std) ? 0 : 100 * a.Std))
                    .OrderBy(q => q.Rate).ToArray();
                if (pts.Length == 0) continue;
                var x = pts.Select(q => q.Rate).ToArray();
                traces.Add(Plot.Trace("scatter", ("x", x.Concat(x.Reverse()).ToArray()),
                    ("y", pts.Select(q => Math.Min(100, q.Mean + q.Sd)).Concat(pts.Reverse().Select(q => Math.Max(0, q.Mean - q.Sd))).ToArray()),
                    ("mode", "lines"), ("fill", "toself"), ("fillcolor", Rgba(i, 0.15)), ("line", Plot.Obj(("width", 0))),
                    ("hoverinfo", "skip"), ("showlegend", false), ("legendgroup", variants[i]), ("xaxis", "x" + ax), ("yaxis", "y" + ax)));
                traces.Add(Plot.Trace("scatter", ("x", x), ("y", pts.Select(q => q.Mean).ToArray()), ("mode", "lines+markers"),
                    ("name", variants[i]), ("legendgroup", variants[i]), ("showlegend", p == 0), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                    ("line", Plot.Obj(("color", Palette[i % Palette.Length]), ("width", 2))), ("marker", Plot.Obj(("color", Palette[i % Palette.Length]), ("size", 5)))));
            }
            if (floor is double f) { var (s, l) = FloorLine(100 * f, ax); shapes.Add(s); labels.Add(l); }
            labels.Add(Plot.Obj(("text", $"<b>{panels[p].Title}</b>"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"),
                ("x", 0.5), ("y", 1.0), ("yanchor", "bottom"), ("font", Plot.Obj(("size", 12)))));
        }
        var extra = new List<(string, object?)>
        {
            ("grid", Plot.Obj(("rows", rows), ("columns", cols), ("pattern", "independent"), ("roworder", "top to bottom"), ("ygap", 0.3), ("xgap", 0.1))),
            ("shapes", shapes.ToArray()), ("annotations", labels.ToArray()),
        };
        for (int p = 0; p < panels.Count; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            extra.Add(($"xaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", "frame-drop rate r"))), ("dtick", 0.2))));
            extra.Add(($"yaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", p % cols == 0 ? $"{metric} (%)" : ""))), ("range", new[] { 0, 100 }))));
        }
        var layout = Plot.Layout($"{dataset}: {metric} under intra-modality missingness (band: ±sd over seeds)", cols == 1 ? 850 : 1000, 120 + 330 * rows, extra.ToArray());
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }

    /// <summary>The forest plot's rows as a table, in the plot's order (mean and 95% CI in points; paired-t, sign-flip and Holm-adjusted p).</summary>
    public static HtmlView ForestTable(IReadOnlyList<PairedComparison> comparisons) =>
        Charts.ForestOrder(comparisons).Select(c => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["comparison"] = Charts.ForestLabel(c), ["n"] = c.Result.N, ["mean diff"] = 100 * c.Result.MeanDiff,
            ["95% CI"] = $"[{NumberText.Plain(100 * c.Result.CiLow)}, {NumberText.Plain(100 * c.Result.CiHigh)}]", ["p (t)"] = c.Result.PValue, ["p (sign-flip)"] = c.Result.PPermutation, ["p (Holm)"] = c.PHolm,
        }).AsHtml(decimals: 3);

}
