using System.Globalization;
using CorrKD.Data;
using CorrKD.Data.Missing;
using CorrKD.Distillation;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Training;
using CorrKD.Reporting;
using Plotly.NET;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Notebook 06's pictures of students: what each loss term contributes, learning curves, and representations.</summary>
public static class StudentCharts
{
    private static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f" };
    private static readonly string[] Terms = { "task", "scd", "cpd", "rcd", "kl" };

    /// <summary>
    /// One panel per variant: each loss term's weighted contribution λ·term to the training objective per epoch
    /// (solid: train; dashed: validation, where history.csv carries valid_&lt;term&gt;). λ comes from the run's
    /// config.json and the variant (<see cref="DistillationVariants.Weights"/>), so a term a variant switches off is absent.
    /// </summary>
    public static GenericChart WeightedTerms(IReadOnlyDictionary<string, string> variantRuns, string title)
    {
        var variants = variantRuns.Keys.ToList();
        int cols = Math.Min(3, variants.Count), rows = (variants.Count + cols - 1) / cols;
        var traces = new List<GenericChart>(); var labels = new List<object>(); var extra = new List<(string, object?)>();
        bool anyValid = false;
        var inLegend = new HashSet<string>();
        for (int p = 0; p < variants.Count; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            var h = TrainingCharts.ReadHistory(variantRuns[variants[p]]);
            var w = DistillationVariants.Weights(variants[p], KitConfig.Load(Path.Combine(variantRuns[variants[p]], "config.json")).Distillation);
            var lambda = new Dictionary<string, double> { ["task"] = w.Task, ["scd"] = w.Scd, ["cpd"] = w.Cpd, ["rcd"] = w.Rcd, ["kl"] = w.Kl };
            for (int t = 0; t < Terms.Length; t++)
            {
                if (lambda[Terms[t]] == 0 || !h.TryGetValue("train_" + Terms[t], out var train)) continue;
                var color = Palette[t];
                traces.Add(Line(h["epoch"], train.Select(v => lambda[Terms[t]] * v).ToArray(), $"λ·{Terms[t]}", ax, color, "solid", inLegend.Add(Terms[t]), Terms[t]));
                if (h.TryGetValue("valid_" + Terms[t], out var valid))
                {
                    anyValid = true;
                    traces.Add(Line(h["epoch"], valid.Select(v => lambda[Terms[t]] * v).ToArray(), $"λ·{Terms[t]} (valid)", ax, color, "dash", false, Terms[t]));
                }
            }
            labels.Add(Plot.Obj(("text", $"<b>{variants[p]}</b>"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"),
                ("x", 0.5), ("y", 1.0), ("yanchor", "bottom")));
            extra.Add(($"xaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))));
            extra.Add(($"yaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", p % cols == 0 ? "λ · term" : ""))), ("rangemode", "tozero"))));
        }
        extra.Add(("grid", Plot.Obj(("rows", rows), ("columns", cols), ("pattern", "independent"), ("roworder", "top to bottom"), ("ygap", 0.35), ("xgap", 0.08))));
        extra.Add(("annotations", labels.ToArray()));
        var note = anyValid ? "solid: train, dashed: validation" : "train only: these histories have no valid_<term> columns";
        return GenericChart.addLayout(Plot.Layout($"{title} — {note}", 1000, 60 + 300 * rows, extra.ToArray()), GenericChart.combine(traces));
    }

    /// <summary>
    /// The students' learning curves side by side: validation loss (the selection criterion) and the validation headline
    /// with the constant-predictor level (<paramref name="floor"/>, a proportion), one colour per run.
    /// </summary>
    public static GenericChart LearningCurves(IReadOnlyDictionary<string, string> runs, double? floor, string title)
    {
        var traces = new List<GenericChart>();
        int i = 0;
        foreach (var (name, folder) in runs)
        {
            var h = TrainingCharts.ReadHistory(folder);
            var color = Palette[i++ % Palette.Length];
            traces.Add(Line(h["epoch"], h["train_loss"], $"{name} train loss", "", color, "dot", true, name));
            traces.Add(Line(h["epoch"], h["valid_loss"], $"{name} valid loss", "", color, "solid", true, name));
            traces.Add(Line(h["epoch"], h["valid_headline"].Select(v => 100 * v).ToArray(), $"{name} valid headline", "2", color, "solid", false, name));
        }
        var shapes = new List<object>(); var labels = new List<object>();
        if (floor is double f)
        {
            shapes.Add(Plot.Obj(("type", "line"), ("xref", "x2 domain"), ("x0", 0), ("x1", 1), ("yref", "y2"), ("y0", 100 * f), ("y1", 100 * f),
                ("line", Plot.Obj(("color", "#444444"), ("dash", "dash"), ("width", 1.5)))));
            labels.Add(Plot.Obj(("text", $"always the majority class: {100 * f:F1}"), ("showarrow", false), ("xref", "x2 domain"), ("x", 1.0),
                ("xanchor", "right"), ("yref", "y2"), ("y", 100 * f), ("yanchor", "bottom"), ("font", Plot.Obj(("size", 11), ("color", "#444444")))));
        }
        var layout = Plot.Layout(title, 1000, 440,
            ("grid", Plot.Obj(("rows", 1), ("columns", 2), ("pattern", "independent"))),
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis", Plot.Obj(("title", Plot.Obj(("text", "loss (dotted: train, solid: valid)"))))),
            ("xaxis2", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis2", Plot.Obj(("title", Plot.Obj(("text", "valid headline (%)"))), ("range", new[] { 0, 100 }))),
            ("shapes", shapes.ToArray()), ("annotations", labels.ToArray()));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }

    /// <summary>
    /// Teacher and student joint representations h in 2-D: principal components of the teacher's h on complete test
    /// input, with every model and input projected onto them. One panel per input (complete, then each set in
    /// <paramref name="missing"/>); the teacher always sees the complete input, the students see the panel's input.
    /// Colour is the true class, the marker the model. Up to <paramref name="maxPoints"/> test samples.
    /// </summary>
    public static GenericChart Representations(CorrKDBackbone teacher, IReadOnlyDictionary<string, CorrKDBackbone> students, MsaSplit split,
        LabelScheme scheme, IReadOnlyList<Availability> missing, int maxPoints = 300)
    {
        using var scope = NewDisposeScope();
        int n = (int)Math.Min(maxPoints, split.Count);
        var x = split.Modalities.Select(m => m.narrow(0, 0, n)).ToArray();
        var y = split.Labels.Take(n).Select(scheme.ClassOf).ToArray();
        Tensor Joint(CorrKDBackbone m, Tensor[] input) => Predictor.Eval(m, () => { using var _ = no_grad(); return m.Forward(input).Joint; });
        var hT = Joint(teacher, x);
        var mean = hT.mean(new long[] { 0 }, keepdim: true);
        var (_, _, v) = linalg.svd(hT - mean, fullMatrices: false);
        var basis = v.narrow(0, 0, 2).t();                                                            // (d, 2)
        double[][] Project(Tensor h) { var p = ((h - mean).matmul(basis)).to(ScalarType.Float64).contiguous(); var a = p.data<double>().ToArray(); return new[] { Enumerable.Range(0, n).Select(i => a[2 * i]).ToArray(), Enumerable.Range(0, n).Select(i => a[2 * i + 1]).ToArray() }; }
        var inputs = new List<(string Title, Availability? Set)> { ("complete input {l,a,v}", null) };
        inputs.AddRange(missing.Select(s => ($"students see {{{string.Join(",", s.Name.ToCharArray())}}}", (Availability?)s)));
        var symbols = new[] { "circle", "x", "triangle-up", "diamond", "square" };
        var traces = new List<GenericChart>(); var labels = new List<object>(); var extra = new List<(string, object?)>();
        var teacherXy = Project(hT);
        for (int p = 0; p < inputs.Count; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            var input = inputs[p].Set is Availability s ? MissingModality.ApplyAvailability(x, s) : x;
            var models = new List<(string Name, double[][] Xy)> { ("teacher (complete input)", teacherXy) };
            models.AddRange(students.Select(kv => (kv.Key, Project(Joint(kv.Value, input)))));
            for (int m = 0; m < models.Count; m++)
                for (int c = 0; c < scheme.NumClasses; c++)
                {
                    var idx = Enumerable.Range(0, n).Where(i => y[i] == c).ToArray();
                    traces.Add(Plot.Trace("scatter", ("x", idx.Select(i => models[m].Xy[0][i]).ToArray()), ("y", idx.Select(i => models[m].Xy[1][i]).ToArray()),
                        ("mode", "markers"), ("name", $"{models[m].Name}, class {c}"), ("legendgroup", $"{m}-{c}"), ("showlegend", p == 0),
                        ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                        ("marker", Plot.Obj(("color", Palette[c % Palette.Length]), ("symbol", symbols[m % symbols.Length]), ("size", 6), ("opacity", m == 0 ? 0.35 : 0.8)))));
                }
            labels.Add(Plot.Obj(("text", $"<b>{inputs[p].Title}</b>"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"), ("x", 0.5), ("y", 1.0), ("yanchor", "bottom")));
            extra.Add(($"xaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", "PC 1 of the teacher's h"))), ("matches", p == 0 ? null : "x"))));
            extra.Add(($"yaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", p == 0 ? "PC 2" : ""))), ("matches", p == 0 ? null : "y"))));
        }
        extra.Add(("grid", Plot.Obj(("rows", 1), ("columns", inputs.Count), ("pattern", "independent"), ("xgap", 0.06))));
        extra.Add(("annotations", labels.ToArray()));
        extra.Add(("legend", Plot.Obj(("orientation", "h"), ("y", -0.2))));
        return GenericChart.addLayout(Plot.Layout($"joint representations h of {n} test samples, projected on the teacher's two principal components",
            Math.Max(700, 340 * inputs.Count), 520, extra.ToArray()), GenericChart.combine(traces));
    }

    private static GenericChart Line(double[] x, double[] y, string name, string ax, string color, string dash, bool legend, string group) =>
        Plot.Trace("scatter", ("x", x), ("y", y.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()), ("mode", "lines+markers"), ("name", name),
            ("legendgroup", group), ("showlegend", legend), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
            ("line", Plot.Obj(("color", color), ("dash", dash), ("width", 2))), ("marker", Plot.Obj(("color", color), ("size", 4))));
}
