using System.Globalization;
using CorrKD.Data;
using CorrKD.Data.Missing;
using CorrKD.Reporting;
using Plotly.NET;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Pictures of data and of what missingness does to an input (notebook 01 and later ones).</summary>
public static class DataCharts
{
    private static readonly string[] ModalityNames = { "language", "audio", "vision" };
    private static readonly string[] SplitColors = { "#1f77b4", "#ff7f0e", "#2ca02c" };
    /// <summary>Blue-white-red with exact white at zero (plotly's RdBu is grey in the middle), so zeros stand out.</summary>
    private static readonly object[][] Diverging = { new object[] { 0.0, "#2166ac" }, new object[] { 0.5, "#ffffff" }, new object[] { 1.0, "#b2182b" } };

    /// <summary>
    /// One sample shown three ways, as (feature x frame) heatmaps with one column per modality: complete, with only
    /// the modalities in <paramref name="available"/> (inter-modality protocol: the others become zero), and with
    /// frames dropped independently at <paramref name="rate"/> (intra-modality protocol, all modalities, test-mask
    /// seed <paramref name="maskSeed"/>). Zero is white, so a missing modality or frame shows as a white block/column.
    /// </summary>
    public static GenericChart MissingnessGallery(MsaSplit split, int index, Availability available, double rate, long maskSeed = 0)
    {
        if (index < 0 || index >= split.Count) throw new ArgumentException($"sample index {index} outside split '{split.Name}' (N={split.Count})", nameof(index));
        using var scope = NewDisposeScope();
        // [l,a,v] each (1, T', d): the valid frames plus two padding frames, so the picture shows the sample, not the padding.
        var one = split.Modalities.Select((x, m) => x.narrow(0, index, 1).narrow(1, 0, Math.Min(x.shape[1], split.Lengths[m][index] + 2))).ToArray();
        var zeroed = MissingModality.ApplyAvailability(one, available);
        var dropped = MissingModality.DropFrames(one, maskSeed, split.Name, new long[] { index }, rate);
        string r = rate.ToString("0.##", CultureInfo.InvariantCulture);
        return ModalityHeatmaps(new (string, Tensor[])[]
            {
                ("complete", one),
                ("available {" + string.Join(",", available.Name.Select(c => c.ToString())) + "}", zeroed),
                ($"frames dropped, r = {r}", dropped),
            },
            $"{split.Name} sample {index} ({split.Ids[index]}, label {split.Labels[index].ToString("0.##", CultureInfo.InvariantCulture)}, {split.Lengths[0][index]} valid frames)");
    }

    /// <summary>
    /// Heatmaps of one sample: a row per labelled version, a column per modality. Each tensor is (1, T, d) or (T, d).
    /// The colour range is symmetric per modality and shared by all rows, so rows compare directly.
    /// </summary>
    public static GenericChart ModalityHeatmaps(IReadOnlyList<(string Label, Tensor[] Mods)> rows, string title)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to draw", nameof(rows));
        var traces = new List<GenericChart>();
        var annotations = new List<object>();
        var range = new double[3];
        for (int m = 0; m < 3; m++)
            range[m] = Math.Max(1e-6, rows.Max(r => Matrix(r.Mods[m]).Max(row => row.Length == 0 ? 0 : row.Max(v => Math.Abs((double)v)))));
        for (int i = 0; i < rows.Count; i++)
            for (int m = 0; m < 3; m++)
            {
                int k = i * 3 + m + 1;
                string ax = k == 1 ? "" : k.ToString(CultureInfo.InvariantCulture);
                var z = Matrix(rows[i].Mods[m]);
                traces.Add(Plot.Trace("heatmap", ("z", z), ("zmin", -range[m]), ("zmax", range[m]), ("zmid", 0.0),
                    ("colorscale", Diverging), ("showscale", false), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                    ("hovertemplate", "frame %{x}<br>feature %{y}<br>value %{z:.3f}<extra></extra>")));
                annotations.Add(Plot.Obj(("text", $"{rows[i].Label} · {ModalityNames[m]} ({z.Length}-d)"), ("showarrow", false),
                    ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"), ("x", 0.5), ("y", 1.0), ("yanchor", "bottom"),
                    ("font", Plot.Obj(("size", 11)))));
            }
        var layout = Plot.Layout(title, 950, 40 + 230 * rows.Count,
            ("grid", Plot.Obj(("rows", rows.Count), ("columns", 3), ("pattern", "independent"), ("roworder", "top to bottom"),
                ("ygap", 0.35), ("xgap", 0.08))),
            ("annotations", annotations.ToArray()));
        return GenericChart.addLayout(layout, GenericChart.combine(traces));
    }

    /// <summary>
    /// Label distribution per split as small multiples (one panel per split, shared axes), so no two histograms
    /// overlap into a colour no legend names: sentiment as a histogram of scores (0.2 bins), emotion as class shares.
    /// </summary>
    public static GenericChart LabelHistogram(MsaDataset data) =>
        SplitPanels(data, s => data.Task == TaskKind.Emotion
                ? ("bar", new (string, object?)[] { ("x", data.ClassNames), ("y", data.ClassNames.Select((_, c) => s.Labels.Count(y => (int)y == c) / (double)Math.Max(1, s.Count)).ToArray()) })
                : ("histogram", new (string, object?)[] { ("x", s.Labels), ("histnorm", "probability"), ("xbins", Plot.Obj(("start", -3.1), ("end", 3.1), ("size", 0.2))) }),
            $"{data.Name}: labels per split", data.Task == TaskKind.Emotion ? "class" : "sentiment score");

    /// <summary>Valid-frame counts (sequence lengths before zero padding) per split, for one modality, one panel per split.</summary>
    public static GenericChart LengthHistogram(MsaDataset data, Modality m = Modality.Language) =>
        SplitPanels(data, s => ("histogram", new (string, object?)[] { ("x", s.Lengths[(int)m]), ("histnorm", "probability"), ("xbins", Plot.Obj(("size", 1))) }),
            $"{data.Name}: valid frames per sample ({ModalityNames[(int)m]}; padded to T = {data.SeqLens[(int)m]})", "valid frames");

    /// <summary>One panel per split side by side, same x range and y axis, each in its split's colour and titled with its size.</summary>
    private static GenericChart SplitPanels(MsaDataset data, Func<MsaSplit, (string Type, (string, object?)[] Props)> trace, string title, string xTitle)
    {
        var traces = new List<GenericChart>(); var labels = new List<object>(); var extra = new List<(string, object?)>();
        var splits = data.Splits.ToList();
        for (int i = 0; i < splits.Count; i++)
        {
            var s = splits[i];
            string ax = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            var (type, props) = trace(s);
            traces.Add(Plot.Trace(type, props.Concat(new (string, object?)[] { ("name", s.Name), ("showlegend", false), ("xaxis", "x" + ax), ("yaxis", "y" + ax),
                ("marker", Plot.Obj(("color", SplitColors[i % SplitColors.Length]))) }).ToArray()));
            labels.Add(Plot.Obj(("text", $"<b>{s.Name}</b> (N = {s.Count})"), ("showarrow", false), ("xref", $"x{ax} domain"), ("yref", $"y{ax} domain"),
                ("x", 0.5), ("y", 1.0), ("yanchor", "bottom")));
            extra.Add(($"xaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", xTitle))), ("matches", i == 0 ? null : "x"))));
            extra.Add(($"yaxis{ax}", Plot.Obj(("title", Plot.Obj(("text", i == 0 ? "share of split" : ""))), ("matches", i == 0 ? null : "y"))));
        }
        extra.Add(("grid", Plot.Obj(("rows", 1), ("columns", splits.Count), ("pattern", "independent"), ("xgap", 0.06))));
        extra.Add(("annotations", labels.ToArray()));
        return GenericChart.addLayout(Plot.Layout(title, 1000, 380, extra.ToArray()), GenericChart.combine(traces));
    }

    /// <summary>(T, d) or (1, T, d) tensor of one sample as d rows of T values (feature x frame).</summary>
    private static float[][] Matrix(Tensor x)
    {
        using var scope = NewDisposeScope();
        var t = x.dim() == 3 ? x[0] : x;
        if (t.dim() != 2) throw new ArgumentException($"expected (T, d) or (1, T, d), got [{string.Join(",", x.shape)}]");
        var fm = t.t().contiguous().to(ScalarType.Float32).cpu();                                     // (d, T)
        int d = (int)fm.shape[0], T = (int)fm.shape[1];
        var flat = fm.data<float>().ToArray();
        return Enumerable.Range(0, d).Select(r => flat.AsSpan(r * T, T).ToArray()).ToArray();
    }
}
