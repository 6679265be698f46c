using System.Globalization;
using CorrKD.Reporting;
using Plotly.NET;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Notebook 04's picture of CPD: the teacher's and the student's sample-to-prototype matrices and their difference.</summary>
public static class PrototypeCharts
{
    private static readonly object[][] Diverging = { new object[] { 0.0, "#2166ac" }, new object[] { 0.5, "#ffffff" }, new object[] { 1.0, "#b2182b" } };

    /// <summary>
    /// Three heatmaps side by side, rows = samples sorted by class, columns = class prototypes: M^t, M^s and M^t − M^s
    /// (what CPD squares and averages). All share one colour scale centred at 0 (white). A class absent from the batch
    /// has no prototype: its column is drawn as a grey block labelled "no prototype", never as a value.
    /// </summary>
    public static GenericChart Matrices(Tensor hT, Tensor hS, Tensor y, int numClasses, string title)
    {
        using var scope = NewDisposeScope();
        var order = argsort(y);
        var mT = DistillationDemos.PrototypeCorrelations(hT, y, numClasses).index_select(0, order);
        var mS = DistillationDemos.PrototypeCorrelations(hS, y, numClasses).index_select(0, order);
        var panels = new[] { ("M^t (teacher)", mT), ("M^s (student)", mS), ("M^t − M^s", mT - mS) };
        var present = Enumerable.Range(0, numClasses).Select(c => y.eq(c).any().item<bool>()).ToArray();
        var traces = new List<GenericChart>(); var shapes = new List<object>(); var labels = new List<object>();
        int rows = (int)mT.shape[0];
        for (int p = 0; p < panels.Length; p++)
        {
            string ax = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            var flat = panels[p].Item2.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            var z = Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, numClasses).Select(c => double.IsNaN(flat[r * numClasses + c]) ? (double?)null : flat[r * numClasses + c]).ToArray()).ToArray();
            traces.Add(Plot.Trace("heatmap", ("z", z), ("x", Enumerable.Range(0, numClasses).Select(c => $"class {c}").ToArray()),
                ("zmin", -1.0), ("zmax", 1.0), ("colorscale", Diverging), ("showscale", p == panels.Length - 1), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                ("hovertemplate", "sample %{y}<br>%{x}<br>%{z:.3f}<extra></extra>")));
            for (int c = 0; c < numClasses; c++)
            {
                if (present[c]) continue;
                shapes.Add(Plot.Obj(("type", "rect"), ("xref", "x" + ax), ("yref", $"y{ax} domain"), ("x0", c - 0.5), ("x1", c + 0.5), ("y0", 0), ("y1", 1),
                    ("fillcolor", "#bdbdbd"), ("line", Plot.Obj(("width", 0))), ("layer", "above")));
                labels.Add(Plot.Obj(("text", $"class {c} absent: no prototype"), ("textangle", -90), ("showarrow", false), ("xref", "x" + ax), ("x", c),
                    ("yref", $"y{ax} domain"), ("y", 0.5), ("font", Plot.Obj(("size", 12), ("color", "#333333")))));
            }
            labels.Add(Plot.Obj(("text", $"<b>{panels[p].Item1}</b>"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"), ("x", 0.5), ("y", 1.0), ("yanchor", "bottom")));
        }
        var layout = Plot.Layout(title, 1000, 480,
            ("grid", Plot.Obj(("rows", 1), ("columns", 3), ("pattern", "independent"), ("xgap", 0.08))),
            ("yaxis", Plot.Obj(("title", Plot.Obj(("text", "sample i (sorted by class)"))), ("autorange", "reversed"))),
            ("yaxis2", Plot.Obj(("autorange", "reversed"))), ("yaxis3", Plot.Obj(("autorange", "reversed"))),
            ("shapes", shapes.ToArray()), ("annotations", labels.ToArray()));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }
}
