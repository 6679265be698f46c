using System.Diagnostics;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace CorrKD.Reporting;

/// <summary>
/// Plotly.NET charts of seed-aggregated results. Every builder returns the GenericChart (a notebook displays it);
/// <see cref="Save"/> writes offline HTML with plotly.js embedded (a CDN page is blank without network), and
/// <see cref="ToPng"/> screenshots it with headless chromium when installed. Proportion metrics are shown in %.
/// One set of charts serves the reports and the notebooks, drawn so they cannot mislead: % axes span [0, 100] and ±sd
/// bands stay inside them, a floor (the constant predictor's level, which the notebooks pass) can be marked, published
/// numbers never share an axis with the kit's, and teacher comparisons get a forest panel of their own.
/// </summary>
public static class Charts
{
    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
    static FSharpOption<T> Some<T>(T v) => FSharpOption<T>.Some(v);
    static double Scale(string metric) => Tables.IsProportion(metric) ? 100 : 1;
    static string Unit(string metric) => Tables.IsProportion(metric) ? $"{metric} (%)" : metric;
    static string Rgba(int i, double alpha)
    {
        var hex = Palette[i % Palette.Length];
        int r = Convert.ToInt32(hex[1..3], 16), g = Convert.ToInt32(hex[3..5], 16), b = Convert.ToInt32(hex[5..7], 16);
        return $"rgba({r},{g},{b},{alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
    }

    static DynamicObj.DynamicObj Obj(params (string Key, object? Value)[] props) => Plot.Obj(props);
    static GenericChart Trace(string type, params (string Key, object? Value)[] props) => Plot.Trace(type, props);

    /// <summary>NaN (missing cell) becomes JSON null so plotly leaves a gap.</summary>
    static double?[] Js(IEnumerable<double> v) => v.Select(x => double.IsNaN(x) ? (double?)null : x).ToArray();

    static GenericChart Style(GenericChart c, string title, string xTitle, string yTitle, params (string Key, object? Value)[] extra) =>
        GenericChart.addLayout(Plot.Layout(title, 900, 600, new[]
        {
            ("xaxis", (object?)Obj(("title", Obj(("text", xTitle))), ("automargin", true))),
            ("yaxis", Obj(("title", Obj(("text", yTitle))), ("automargin", true))),
        }.Concat(extra).ToArray()), c);

    static string Hex(int i) => Palette[i % Palette.Length];

    private const string FloorColor = "#444444";

    /// <summary>Intra-modality protocols in panel order: all modalities at once, then one modality at a time.</summary>
    public static readonly (string Protocol, string Title)[] IntraProtocols =
    {
        (Protocols.Intra, "all modalities dropped at rate r"), ("intra-l", "only language dropped"),
        ("intra-a", "only audio dropped"), ("intra-v", "only vision dropped"),
    };

    /// <summary>The dashed constant-predictor line across one subplot (axis suffix "" for x/y, "2" for x2/y2, ...).</summary>
    static (object Shape, object Label) FloorLine(double level, string axis = "")
    {
        var shape = Obj(("type", "line"), ("xref", $"x{axis} domain"), ("x0", 0), ("x1", 1), ("yref", $"y{axis}"),
            ("y0", level), ("y1", level), ("line", Obj(("color", FloorColor), ("dash", "dash"), ("width", 1.5))));
        var label = Obj(("text", $"always the majority class: {level.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)}"), ("showarrow", false), ("xref", $"x{axis} domain"),
            ("x", 1.0), ("xanchor", "right"), ("yref", $"y{axis}"), ("y", level), ("yanchor", "bottom"),
            ("font", Obj(("size", 11), ("color", FloorColor))));
        return (shape, label);
    }

    /// <summary>A value axis: the metric's unit, and [0, 100] for % scores.</summary>
    static DynamicObj.DynamicObj ValueAxis(string metric, string? title = null) => Tables.IsProportion(metric)
        ? Obj(("title", Obj(("text", title ?? Unit(metric)))), ("range", new[] { 0, 100 }), ("automargin", true))
        : Obj(("title", Obj(("text", title ?? Unit(metric)))), ("automargin", true));

    static string Of(string metric, string emotion) => metric + (emotion.Length > 0 ? " (" + emotion + ")" : "");

    /// <summary>
    /// Metric against the frame-drop rate r, one panel per intra-modality protocol present (<see cref="IntraProtocols"/>:
    /// all modalities at once; then language, audio, vision alone when the results carry intra-l/-a/-v): per variant the
    /// mean over seeds with a ±sd band (% scores clipped to [0, 100]). <paramref name="floor"/> (a proportion, e.g. the
    /// constant predictor's level) draws a dashed line in every panel; null draws none.
    /// </summary>
    public static GenericChart IntraCurves(IReadOnlyList<AggregateRow> agg, string dataset, string metric = Tables.SentimentHeadline,
        IReadOnlyList<string>? variants = null, double? floor = null, string emotion = "")
    {
        var sel = agg.Where(a => a.Dataset == dataset && a.Metric == metric && a.Emotion == emotion).ToList();
        var panels = IntraProtocols.Where(p => sel.Any(a => a.Protocol == p.Protocol)).ToList();
        if (panels.Count == 0) throw new InvalidOperationException($"{dataset}: no intra-modality results for {Of(metric, emotion)}");
        var names = variants ?? sel.Where(a => a.Protocol.StartsWith(Protocols.Intra, StringComparison.Ordinal)).Select(a => a.Variant).Distinct().ToList();
        double s = Scale(metric);
        bool pct = Tables.IsProportion(metric);
        int cols = panels.Count == 1 ? 1 : 2, rows = (panels.Count + 1) / 2;
        var traces = new List<GenericChart>(); var shapes = new List<object>(); var labels = new List<object>();
        var extra = new List<(string, object?)>();
        for (int p = 0; p < panels.Count; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int i = 0; i < names.Count; i++)
            {
                var pts = sel.Where(a => a.Protocol == panels[p].Protocol && a.Variant == names[i])
                    .Select(a => (Rate: double.Parse(a.Condition, System.Globalization.CultureInfo.InvariantCulture), Mean: a.Mean * s, Sd: double.IsNaN(a.Std) ? 0 : a.Std * s))
                    .OrderBy(q => q.Rate).ToArray();
                if (pts.Length == 0) continue;
                var x = pts.Select(q => q.Rate).ToArray();
                double Hi(double v) => pct ? Math.Min(100, v) : v;
                double Lo(double v) => pct ? Math.Max(0, v) : v;
                traces.Add(Trace("scatter", ("x", x.Concat(x.Reverse()).ToArray()),
                    ("y", pts.Select(q => Hi(q.Mean + q.Sd)).Concat(pts.Reverse().Select(q => Lo(q.Mean - q.Sd))).ToArray()),
                    ("mode", "lines"), ("fill", "toself"), ("fillcolor", Rgba(i, 0.15)), ("line", Obj(("width", 0))),
                    ("hoverinfo", "skip"), ("showlegend", false), ("legendgroup", names[i]), ("xaxis", "x" + ax), ("yaxis", "y" + ax)));
                traces.Add(Trace("scatter", ("x", x), ("y", pts.Select(q => q.Mean).ToArray()), ("mode", "lines+markers"),
                    ("name", names[i]), ("legendgroup", names[i]), ("showlegend", p == 0), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                    ("line", Obj(("color", Hex(i)), ("width", 2))), ("marker", Obj(("color", Hex(i)), ("size", 5)))));
            }
            if (floor is double f) { var (fs, fl) = FloorLine(f * s, ax); shapes.Add(fs); labels.Add(fl); }
            if (panels.Count > 1)
                labels.Add(Obj(("text", $"<b>{panels[p].Title}</b>"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"),
                    ("x", 0.5), ("y", 1.0), ("yanchor", "bottom"), ("font", Obj(("size", 12)))));
            extra.Add(($"xaxis{ax}", Obj(("title", Obj(("text", "frame-drop rate r"))), ("dtick", 0.2))));
            extra.Add(($"yaxis{ax}", ValueAxis(metric, p % cols == 0 ? null : "")));
        }
        if (panels.Count > 1)
            extra.Add(("grid", Obj(("rows", rows), ("columns", cols), ("pattern", "independent"), ("roworder", "top to bottom"), ("ygap", 0.3), ("xgap", 0.1))));
        extra.Add(("shapes", shapes.ToArray()));
        extra.Add(("annotations", labels.ToArray()));
        if (panels.Count > 1) { extra.Add(("width", 1000)); extra.Add(("height", 120 + 330 * rows)); }
        return Style(Chart.combine(traces), $"{dataset}: {Of(metric, emotion)} under intra-modality missingness (band: ±sd over seeds)",
            "frame-drop rate r", Unit(metric), extra.ToArray());
    }

    /// <summary>Grouped bars per inter-modality condition ({l} … Avg, {l,a,v}), one bar series per variant, sd error bars;
    /// <paramref name="floor"/> (a proportion) as a dashed line, null for none.</summary>
    public static GenericChart ConditionBars(IReadOnlyList<AggregateRow> agg, string dataset, string metric = Tables.SentimentHeadline,
        IReadOnlyList<string>? variants = null, double? floor = null, string emotion = "")
    {
        var sel = agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Inter && a.Metric == metric && a.Emotion == emotion).ToList();
        var names = variants ?? sel.Select(a => a.Variant).Distinct().ToList();
        var conds = Tables.InterConditions.Where(c => sel.Any(a => a.Condition == c)).ToList();
        double s = Scale(metric);
        var traces = names.Select((v, i) =>
        {
            var cells = conds.Select(c => sel.FirstOrDefault(a => a.Variant == v && a.Condition == c)).ToList();
            return Trace("bar", ("x", conds.Select(ConditionLabel).ToArray()), ("y", Js(cells.Select(a => a is null ? double.NaN : a.Mean * s))),
                ("name", v), ("marker", Obj(("color", Hex(i)))),
                ("error_y", Obj(("type", "data"), ("visible", true), ("array", Js(cells.Select(a => a is null ? double.NaN : double.IsNaN(a.Std) ? 0 : a.Std * s))))));
        }).ToList();
        var extra = new List<(string, object?)> { ("barmode", "group"), ("yaxis", ValueAxis(metric)) };
        if (floor is double f) { var (fs, fl) = FloorLine(f * s); extra.Add(("shapes", new[] { fs })); extra.Add(("annotations", new[] { fl })); }
        return Style(Chart.combine(traces), $"{dataset}: {Of(metric, emotion)} per available modality set (mean ± sd over seeds)",
            "available modalities", Unit(metric), extra.ToArray());
    }

    /// <summary>
    /// The ablation: each variant's Avg over the six incomplete sets (mean ± sd over seeds), the kit's results only; the
    /// paper's real-MOSI ablation belongs in a table beside it, never on this axis. <paramref name="floor"/> as in
    /// <see cref="ConditionBars"/>.
    /// </summary>
    public static GenericChart AblationBars(IReadOnlyList<AggregateRow> agg, string dataset, string metric = Tables.SentimentHeadline,
        IReadOnlyList<string>? variants = null, double? floor = null)
    {
        var sel = agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Inter && a.Condition == Protocols.Average
                                 && a.Metric == metric && a.Emotion == "").ToList();
        var names = variants ?? sel.Select(a => a.Variant).Distinct().ToList();
        double s = Scale(metric);
        var cells = names.Select(v => sel.FirstOrDefault(a => a.Variant == v)).ToList();
        var bars = Trace("bar", ("x", names.ToArray()), ("y", Js(cells.Select(a => a is null ? double.NaN : a.Mean * s))),
            ("name", "this kit (mean ± sd)"), ("marker", Obj(("color", Hex(0)))),
            ("error_y", Obj(("type", "data"), ("visible", true), ("array", Js(cells.Select(a => a is null ? double.NaN : double.IsNaN(a.Std) ? 0 : a.Std * s))))));
        var extra = new List<(string, object?)> { ("yaxis", ValueAxis(metric)), ("showlegend", false), ("height", 460) };
        if (floor is double f) { var (fs, fl) = FloorLine(f * s); extra.Add(("shapes", new[] { fs })); extra.Add(("annotations", new[] { fl })); }
        return Style(bars, $"{dataset}: ablation, {metric} averaged over the six incomplete sets (mean ± sd over seeds)", "variant", Unit(metric), extra.ToArray());
    }

    /// <summary>
    /// Forest plot of paired differences A − B with their 95% intervals (percentage points for proportions) and a dashed
    /// zero line, one row per comparison labelled "A − B, condition" (with the data set when there are several). Rows
    /// involving a teacher (<see cref="PairedComparison.InvolvesTeacher"/>: their differences are an order of magnitude
    /// larger) get a panel of their own on top, with its own x axis, so the students' intervals stay readable; within a
    /// panel rows keep their order (<see cref="ForestOrder"/>, which a matching table uses too). The chart grows with its
    /// rows, so plotly never thins their labels.
    /// </summary>
    public static GenericChart Forest(IReadOnlyList<PairedComparison> comparisons, string? title = null)
    {
        var ordered = ForestOrder(comparisons);
        bool severalData = comparisons.Select(c => c.Dataset).Distinct().Count() > 1;
        var panels = new[] { ("teacher comparisons", ordered.Where(c => c.InvolvesTeacher).ToList()), ("student comparisons", ordered.Where(c => !c.InvolvesTeacher).ToList()) }
            .Where(g => g.Item2.Count > 0).ToList();
        bool named = panels.Count > 1;
        // Laid out in pixels: each row 26 px (at least 3 rows a panel), a panel title of 25 px above and 60 px of x axis below.
        const int rowPx = 26, axisPx = 60, marginTop = 70, marginBottom = 20;
        int titlePx = named ? 25 : 0;
        int Rows(int n) => rowPx * Math.Max(3, n);
        int area = panels.Sum(g => titlePx + Rows(g.Item2.Count) + axisPx), offset = 0;
        var traces = new List<GenericChart>(); var shapes = new List<object>(); var labels = new List<object>();
        var extra = new List<(string, object?)> { ("margin", Obj(("t", marginTop), ("b", marginBottom))), ("showlegend", false) };
        string xTitle = comparisons.All(c => Tables.IsProportion(c.Metric)) ? "difference (percentage points)" : "difference";
        for (int g = 0; g < panels.Count; g++)
        {
            var (name, rows) = panels[g];
            string ax = g == 0 ? "" : "2";
            double top = 1.0 - (offset + titlePx) / (double)area, bottom = 1.0 - (offset + titlePx + Rows(rows.Count)) / (double)area;
            var sc = rows.Select(c => Scale(c.Metric)).ToArray();
            var mean = rows.Select((c, i) => c.Result.MeanDiff * sc[i]).ToArray();
            traces.Add(Trace("scatter", ("x", mean), ("y", rows.Select(c => ForestLabel(c, severalData)).ToArray()), ("mode", "markers"),
                ("xaxis", "x" + ax), ("yaxis", "y" + ax), ("name", "mean difference, 95% CI"),
                ("marker", Obj(("color", named && g == 0 ? "#7f7f7f" : Hex(0)), ("size", 9), ("symbol", "square"))),
                ("error_x", Obj(("type", "data"), ("symmetric", false), ("visible", true),
                    ("array", rows.Select((c, i) => c.Result.CiHigh * sc[i] - mean[i]).ToArray()),
                    ("arrayminus", rows.Select((c, i) => mean[i] - c.Result.CiLow * sc[i]).ToArray()))),
                ("hovertemplate", "%{y}<br>%{x:.2f}<extra></extra>")));
            shapes.Add(Obj(("type", "line"), ("xref", "x" + ax), ("x0", 0), ("x1", 0), ("yref", $"y{ax} domain"), ("y0", 0), ("y1", 1),
                ("line", Obj(("color", "#555555"), ("dash", "dash"), ("width", 1.2)))));
            if (named)
                labels.Add(Obj(("text", $"<b>{name}</b>"), ("showarrow", false), ("xref", "paper"), ("x", 0), ("xanchor", "left"),
                    ("yref", "paper"), ("y", top + 2.0 / area), ("yanchor", "bottom"), ("font", Obj(("size", 12)))));
            extra.Add(($"xaxis{ax}", Obj(("anchor", "y" + ax), ("title", Obj(("text", xTitle))), ("zeroline", false), ("automargin", true))));
            // An explicit range, first row on top: plotly's autorange pads a category axis by several rows for the markers.
            double pad = (Math.Max(3, rows.Count) - rows.Count) / 2.0;
            extra.Add(($"yaxis{ax}", Obj(("anchor", "x" + ax), ("domain", new[] { bottom, top }), ("range", new[] { rows.Count - 0.5 + pad, -0.5 - pad }),
                ("automargin", true), ("dtick", 1))));
            offset += titlePx + Rows(rows.Count) + axisPx;
        }
        extra.Add(("shapes", shapes.ToArray()));
        extra.Add(("annotations", labels.ToArray()));
        extra.Add(("height", area + marginTop + marginBottom));
        var metric = string.Join(", ", comparisons.Select(c => c.Metric).Distinct());
        return Style(Chart.combine(traces), title ?? $"Paired differences over seeds ({metric}, 95% CI)", xTitle, "", extra.ToArray());
    }

    /// <summary>The forest plot's rows from top to bottom: teacher rows first, then the rest, each in the given order.</summary>
    public static IReadOnlyList<PairedComparison> ForestOrder(IReadOnlyList<PairedComparison> comparisons) =>
        comparisons.Where(c => c.InvolvesTeacher).Concat(comparisons.Where(c => !c.InvolvesTeacher)).ToList();

    /// <summary>A forest row's label: "A − B, condition[ emotion]", prefixed by the data set when asked.</summary>
    public static string ForestLabel(PairedComparison c, bool withDataset = false) =>
        $"{(withDataset ? c.Dataset + ": " : "")}{c.VariantA} − {c.VariantB}, {ConditionLabel(c.Condition)}{(c.Emotion.Length > 0 ? " " + c.Emotion : "")}";

    static string ConditionLabel(string c) => c switch
    {
        "avg" => "Avg",
        _ => "{" + string.Join(",", c.ToCharArray()) + "}",
    };

    /// <summary>
    /// Writes the chart as a standalone HTML page with the full plotly.js embedded (works offline), atomically.
    /// </summary>
    public static string Save(GenericChart chart, string htmlPath)
    {
        var full = Path.GetFullPath(htmlPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var withJs = GenericChart.addDisplayOptions(DisplayOptions.init(null, Some("UTF-8"), null, null, null, null, Some(PlotlyJSReference.Full)), chart);
        IO.AtomicFile.Write(full, tmp =>
        {
            Chart.saveHtml(tmp, Some(false)).Invoke(withJs);
            // Plotly.NET puts <meta charset> after the 3.6 MB inline plotly.js, beyond the 1 KB a browser scans, so
            // non-ASCII text (plotly's U+2212 minus ticks, "±") showed as mojibake: declare UTF-8 up front.
            var text = File.ReadAllText(tmp);
            int head = text.IndexOf("<head>", StringComparison.OrdinalIgnoreCase);
            text = head >= 0 ? text.Insert(head + "<head>".Length, "<meta charset=\"utf-8\">") : text;
            File.WriteAllText(tmp, text, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: head < 0));
        }, extension: ".html");
        return full;
    }

    /// <summary>The chart's layout width and height in pixels (900×600 unless the chart sets its own).</summary>
    public static (int Width, int Height) SizeOf(GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        int Get(string key, int fallback) => layout.TryGetPropertyValue(key) is { } v && v.Value is int n ? n : fallback;
        return (Get("width", 900), Get("height", 600));
    }

    /// <summary>Saves the chart as HTML (<see cref="Save"/>) and, when <paramref name="png"/>, a PNG beside it at the chart's own size.</summary>
    public static string SaveWithPng(GenericChart chart, string htmlPath, bool png)
    {
        var html = Save(chart, htmlPath);
        if (png && !ToPng(html, Path.ChangeExtension(html, ".png"), size: SizeOf(chart)) && !toldNoChromium)
        {
            // Said once per process: a report folder would otherwise lose its PNGs without a word (a results/ commit deletes them).
            toldNoChromium = true;
            Console.Error.WriteLine("charts: PNG copies skipped, /usr/bin/chromium not found (Debian: apt-get install chromium); the HTML charts are written");
        }
        return html;
    }

    private static bool toldNoChromium;

    /// <summary>
    /// Renders a saved chart HTML to PNG with headless chromium (window <paramref name="size"/>, default 900×600). Returns false when chromium is absent;
    /// throws when chromium runs but produces no image. Uses a throwaway profile folder and no network services.
    /// </summary>
    public static bool ToPng(string htmlPath, string pngPath, string chromiumPath = "/usr/bin/chromium", int timeoutMs = 60_000,
        (int Width, int Height)? size = null)
    {
        var (width, height) = size ?? (900, 600);
        if (!File.Exists(chromiumPath)) return false;
        var html = Path.GetFullPath(htmlPath);
        if (!File.Exists(html)) throw new FileNotFoundException($"chart HTML not found: {html}", html);
        var png = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        var profile = Directory.CreateTempSubdirectory("corrkd-chromium-");
        try
        {
            // Screenshot a copy without plotly's hover toolbar (the chart's HTML is self-contained, so it renders anywhere), and
            // without the page margin: a page taller than the window (a chart as tall as it, plus the body's margin) loses the
            // last panel's x axis in chromium's screenshot.
            var shot = Path.Combine(profile.FullName, "chart.html");
            var text = File.ReadAllText(html);
            int head = text.IndexOf("<head>", StringComparison.OrdinalIgnoreCase);
            File.WriteAllText(shot, head >= 0 ? text.Insert(head + "<head>".Length, "<style>.modebar-container{display:none !important} html,body{margin:0;padding:0}</style>") : text);
            var psi = new ProcessStartInfo(chromiumPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--window-size={width},{height}",
                         "--virtual-time-budget=5000", "--disable-background-networking", "--disable-component-update", "--no-first-run",
                         $"--user-data-dir={profile.FullName}", $"--screenshot={png}", new Uri(shot).AbsoluteUri })
                psi.ArgumentList.Add(a);
            if (File.Exists(png)) File.Delete(png);
            using var p = Process.Start(psi)!;
            var errTask = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeoutMs))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish rendering {html} within {timeoutMs} ms");
            }
            if (!File.Exists(png))
                throw new InvalidOperationException($"chromium exited with {p.ExitCode} but wrote no {png}: {errTask.Result}");
            return true;
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
