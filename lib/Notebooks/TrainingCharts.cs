using System.Globalization;
using CorrKD.Reporting;
using Plotly.NET;

namespace CorrKD.Notebooks;

/// <summary>Training curves from a run folder's history.csv (one row per epoch, written by the Trainer).</summary>
public static class TrainingCharts
{
    /// <summary>history.csv as columns by name (<see cref="Reporting.HistoryCsv.Read"/>).</summary>
    public static Dictionary<string, double[]> ReadHistory(string runFolder) => Reporting.HistoryCsv.Read(runFolder);

    /// <summary>
    /// Two panels per run: losses (train, valid) and the validation headline metric (in %), against epochs, with
    /// the selected epoch marked and, when <paramref name="floor"/> is given (a proportion, the validation split's
    /// constant-predictor level), a dashed line at the score of always predicting the majority class.
    /// Selection is by validation loss or headline, as the run's config says.
    /// </summary>
    public static GenericChart History(string runFolder, string title, int? bestEpoch = null, double? floor = null)
    {
        var h = ReadHistory(runFolder);
        var epoch = h["epoch"];
        var traces = new List<GenericChart>
        {
            Plot.Trace("scatter", ("x", epoch), ("y", h["train_loss"]), ("mode", "lines+markers"), ("name", "train loss"),
                ("line", Plot.Obj(("color", "#1f77b4")))),
            Plot.Trace("scatter", ("x", epoch), ("y", h["valid_loss"]), ("mode", "lines+markers"), ("name", "valid loss"),
                ("line", Plot.Obj(("color", "#ff7f0e")))),
            Plot.Trace("scatter", ("x", epoch), ("y", h["valid_headline"].Select(v => 100 * v).ToArray()), ("mode", "lines+markers"),
                ("name", "valid headline (%)"), ("xaxis", "x2"), ("yaxis", "y2"), ("line", Plot.Obj(("color", "#2ca02c")))),
        };
        var shapes = bestEpoch is int b
            ? new object[]
            {
                Plot.Obj(("type", "line"), ("x0", b), ("x1", b), ("yref", "y domain"), ("y0", 0), ("y1", 1), ("line", Plot.Obj(("dash", "dot"), ("color", "grey")))),
                Plot.Obj(("type", "line"), ("x0", b), ("x1", b), ("xref", "x2"), ("yref", "y2 domain"), ("y0", 0), ("y1", 1), ("line", Plot.Obj(("dash", "dot"), ("color", "grey")))),
            }
            : Array.Empty<object>();
        var annotations = new List<object>();
        if (floor is double f)
        {
            shapes = shapes.Append(Plot.Obj(("type", "line"), ("xref", "x2 domain"), ("x0", 0), ("x1", 1), ("yref", "y2"), ("y0", 100 * f), ("y1", 100 * f),
                ("line", Plot.Obj(("color", "#444444"), ("dash", "dash"), ("width", 1.5))))).ToArray();
            annotations.Add(Plot.Obj(("text", $"always the majority class: {100 * f:F1}"), ("showarrow", false), ("xref", "x2 domain"), ("x", 1.0), ("xanchor", "right"),
                ("yref", "y2"), ("y", 100 * f), ("yanchor", "bottom"), ("font", Plot.Obj(("size", 11), ("color", "#444444")))));
        }
        var layout = Plot.Layout(title + (bestEpoch is int e ? $" (selected epoch {e}, dotted)" : ""), 950, 420,
            ("grid", Plot.Obj(("rows", 1), ("columns", 2), ("pattern", "independent"))),
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis", Plot.Obj(("title", Plot.Obj(("text", "loss"))))),
            ("xaxis2", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis2", Plot.Obj(("title", Plot.Obj(("text", "headline (%)"))), ("range", new[] { 0, 100 }))),
            ("shapes", shapes), ("annotations", annotations.ToArray()));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }

    /// <summary>
    /// The per-term training losses a student logs each epoch (train_task, train_scd, train_cpd, train_rcd, train_kl:
    /// unweighted term values averaged over the epoch), one line per term that is present and not all zero.
    /// </summary>
    public static GenericChart Terms(string runFolder, string title)
    {
        var h = ReadHistory(runFolder);
        var terms = h.Keys.Where(k => k.StartsWith("train_") && k is not ("train_loss" or "train_total") && h[k].Any(v => v != 0 && !double.IsNaN(v))).ToList();
        var traces = terms.Select(k => Plot.Trace("scatter", ("x", h["epoch"]), ("y", h[k]), ("mode", "lines+markers"), ("name", k["train_".Length..]))).ToList();
        if (traces.Count == 0) throw new InvalidOperationException($"{runFolder}: history.csv has no per-term columns (train_*): not a student run?");
        var layout = Plot.Layout(title, 850, 420,
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", "epoch"))))), ("yaxis", Plot.Obj(("title", Plot.Obj(("text", "term value (epoch mean)"))))));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }
}
