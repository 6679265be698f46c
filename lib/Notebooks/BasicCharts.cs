using System.Globalization;
using CorrKD.Reporting;
using Plotly.NET;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Small generic charts the concept notebooks share: a matrix heatmap and line series.</summary>
public static class BasicCharts
{
    /// <summary>A 2-D tensor (rows x columns) as a heatmap, row 0 at the top; <paramref name="diverging"/> centres white at 0.</summary>
    public static GenericChart Matrix(Tensor m, string title, string xTitle, string yTitle, bool diverging = false, int size = 520)
    {
        if (m.dim() != 2) throw new ArgumentException($"expected a matrix, got shape [{string.Join(",", m.shape)}]", nameof(m));
        using var scope = NewDisposeScope();
        var f = m.detach().to(ScalarType.Float32).cpu().contiguous();
        int rows = (int)f.shape[0], cols = (int)f.shape[1];
        var flat = f.data<float>().ToArray();
        var z = Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
        double absMax = Math.Max(1e-9, flat.Length == 0 ? 0 : flat.Max(v => Math.Abs((double)v)));
        var trace = diverging
            ? Plot.Trace("heatmap", ("z", z), ("zmin", -absMax), ("zmax", absMax),
                ("colorscale", new object[] { new object[] { 0.0, "#2166ac" }, new object[] { 0.5, "#ffffff" }, new object[] { 1.0, "#b2182b" } }))
            : Plot.Trace("heatmap", ("z", z), ("colorscale", "Viridis"));
        var layout = Plot.Layout(title, size + 120, size,
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", xTitle))))),
            ("yaxis", Plot.Obj(("title", Plot.Obj(("text", yTitle))), ("autorange", "reversed"))));
        return GenericChart.addLayout(layout, trace);
    }

    /// <summary>One line per named series over shared x values.</summary>
    public static GenericChart Lines(double[] x, IReadOnlyDictionary<string, double[]> series, string title, string xTitle, string yTitle)
    {
        var traces = series.Select(kv => Plot.Trace("scatter", ("x", x), ("y", kv.Value), ("mode", "lines+markers"), ("name", kv.Key))).ToList();
        var layout = Plot.Layout(title, 800, 420,
            ("xaxis", Plot.Obj(("title", Plot.Obj(("text", xTitle))))),
            ("yaxis", Plot.Obj(("title", Plot.Obj(("text", yTitle))))));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }

    /// <summary>Formats a number for tables: invariant culture, <paramref name="decimals"/> digits.</summary>
    public static string Num(double v, int decimals = 4) => v.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
