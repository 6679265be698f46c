using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Reporting;

public sealed class TablesAndChartsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("corrkd-tables-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly string[] Conds = ["l", "a", "v", "la", "lv", "av", "lav"];

    /// <summary>Two variants, three seeds, all inter conditions; corrkd is 2 points better everywhere.</summary>
    static List<ResultRow> SyntheticRows()
    {
        var rows = new List<ResultRow>();
        foreach (var (variant, shift) in new[] { ("corrkd", 0.02), ("no_kd", 0.0) })
            for (int seed = 0; seed < 3; seed++)
            {
                for (int c = 0; c < Conds.Length; c++)
                    rows.Add(new("MOSI", variant, seed, "inter", Conds[c], "", "f1_non0", 0.6 + 0.02 * c + shift + 0.01 * seed));
                foreach (var rate in new[] { 0.0, 0.3, 0.6, 0.9 })
                    rows.Add(new("MOSI", variant, seed, "intra", Protocols.Rate(rate), "", "f1_non0", 0.8 - 0.2 * rate + shift + 0.01 * seed));
                foreach (var e in new[] { "happy", "sad" })
                    foreach (var c in Conds)
                        rows.Add(new("IEMOCAP", variant, seed, "inter", c, e, "f1", 0.7 + shift + 0.01 * seed));
            }
        return ResultRows.WithInterAverage(rows).ToList();
    }

    static IReadOnlyList<PublishedRow> Published() =>
        PublishedResults.LoadDefault(AppContext.BaseDirectory); // data/reference/corrkd_tables.csv up the tree

    [Fact]
    public void PublishedReference_KeyedByDatasetModelEmotionCondition()
    {
        var pub = Published();
        // paper: MOSI CorrKD Avg 74.69, IEMOCAP rows carry an emotion, ablation rows under "MOSI-ablation"
        Assert.Equal(74.69, pub.Single(p => p.Dataset == "MOSI" && p.Model == "CorrKD" && p.Condition == "avg").F1Percent);
        Assert.Equal(72.46, pub.Single(p => p.Dataset == "MOSI-ablation" && p.Model == "w/o SCD").F1Percent);
        Assert.All(pub.Where(p => p.Dataset == "IEMOCAP"), p => Assert.Contains(p.Emotion, Tables.Emotions));
    }

    [Fact]
    public void InterTable_Markdown_HasPaperColumns_MeanSd_AndLabelledPublishedBlock()
    {
        var agg = Aggregation.Summarize(SyntheticRows());
        var t = Tables.InterModality(agg, "MOSI", published: Published(),
            options: new TableOptions { PublishedModels = ["CorrKD"] });
        var md = t.ToMarkdown();
        var lines = md.Split('\n');
        Assert.Contains("| Model | {l} | {a} | {v} | {l,a} | {l,v} | {a,v} | Avg | {l,a,v} |", lines);
        // corrkd {l}: seeds 0.62 0.63 0.64 -> 63.00 ± 1.00 (%)
        Assert.Contains("| corrkd | 63.00 ± 1.00 |", md);
        // Avg for corrkd seed 0: mean of 0.62..0.72 = 0.67, seeds shift by 0.01 -> 68.00 ± 1.00
        Assert.Contains("| 68.00 ± 1.00 |", md);
        Assert.Contains("| CorrKD (published)† | 81.20 | 66.52 | 60.72 | 83.56 | 82.41 | 73.74 | 74.69 | 83.94 |", lines);
        Assert.Contains("published numbers, real data", md);
        Assert.DoesNotContain("HRLF", md); // filtered by PublishedModels
    }

    [Fact]
    public void Latex_UsesBooktabs_AndEscapes()
    {
        var agg = Aggregation.Summarize(SyntheticRows());
        var tex = Tables.InterModality(agg, "MOSI", published: Published()).ToLatex();
        Assert.Contains("\\toprule", tex);
        Assert.Contains("\\midrule", tex);
        Assert.Contains("\\bottomrule", tex);
        Assert.Contains("no\\_kd", tex);
        Assert.Contains("f1\\_non0", tex);
        Assert.Contains("$\\pm$", tex);
        Assert.Contains("CorrKD (published)$^\\dagger$", tex);
        Assert.DoesNotContain(" no_kd", tex);
        Assert.Equal("w/o SCD: RCD-\\textgreater{}KL 50\\% \\& \\$x\\_1", Table.Latex("w/o SCD: RCD->KL 50% & $x_1"));
    }

    [Fact]
    public void IemocapAblationIntraPaired_Layouts()
    {
        var rows = SyntheticRows();
        var agg = Aggregation.Summarize(rows);
        var pub = Published();

        var iemo = Tables.Iemocap(agg, published: pub, options: new TableOptions { PublishedModels = ["CorrKD"] });
        Assert.Equal(["Emotion", "Model", "{l}", "{a}", "{v}", "{l,a}", "{l,v}", "{a,v}", "Avg", "{l,a,v}"], iemo.Columns);
        Assert.Equal(4, iemo.Blocks[0].Rows.Count); // 2 emotions x 2 variants
        Assert.Equal(4, iemo.Blocks[1].Rows.Count); // CorrKD published for 4 emotions
        Assert.Equal("happy", iemo.Blocks[1].Rows[0][0]);

        var abl = Tables.Ablation(agg, "MOSI", referenceVariant: "corrkd", published: pub);
        var noKd = abl.AllRows.Single(r => r[0] == "no_kd");
        Assert.Equal("-2.00", noKd[2]); // 2 points below corrkd
        Assert.Equal("74.69", abl.AllRows.Single(r => r[0] == "corrkd")[3]); // published full-model Avg beside it

        var intra = Tables.IntraModality(agg, "MOSI");
        Assert.Equal(["Model", "0.0", "0.3", "0.6", "0.9"], intra.Columns);

        var paired = Tables.Paired(PairedStatistics.Compare(rows, "corrkd", "no_kd", "f1_non0", dataset: "MOSI", protocol: "inter"));
        Assert.Equal(8, paired.AllRows.Count()); // l a v la lv av avg lav
        Assert.Contains("| MOSI inter l | corrkd − no_kd | +2.00 |", paired.ToMarkdown());

        var files = paired.Write(dir);
        Assert.Equal(["paired.csv", "paired.md", "paired.tex"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.StartsWith("block,Setting,Comparison,Mean diff,95% CI,", File.ReadAllText(files[1]));
    }

    [Fact]
    public void Charts_SaveOfflineHtml_WithEmbeddedPlotly()
    {
        var rows = SyntheticRows();
        var agg = Aggregation.Summarize(rows);
        var charts = new[]
        {
            ("intra", Charts.IntraCurves(agg, "MOSI")),
            ("bars", Charts.ConditionBars(agg, "MOSI")),
            ("ablation", Charts.AblationBars(agg, "MOSI")),
            ("forest", Charts.Forest(PairedStatistics.Compare(rows, "corrkd", "no_kd", "f1_non0", dataset: "MOSI"))),
        };
        // every builder yields traces that name the variants (cheap: chart div only, no plotly.js)
        foreach (var (name, chart) in charts)
            Assert.Contains("no_kd", Plotly.NET.GenericChart.toChartHTML(chart));
        // one full offline page (embedding plotly.js costs ~3.6 MB per file)
        var path = Charts.Save(charts[3].Item2, Path.Combine(dir, "forest.html"));
        var html = File.ReadAllText(path);
        Assert.True(html.Length > 1_000_000, $"plotly.js should be embedded ({html.Length} chars)");
        // plotly.js itself mentions cdn.plot.ly (its topojson default), so check script tags, not the whole text
        Assert.DoesNotMatch(@"<script[^>]*src=[""']?https?:", html);
        // UTF-8 declared within the first 1 KB a browser sniffs (else plotly's minus signs render as mojibake)
        Assert.Contains("<meta charset=\"utf-8\">", html[..1024]);
        Assert.Equal(["forest.html"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temp files left
    }

    [Fact]
    public void ForestPlot_GrowsWithItsRows_SoEveryComparisonKeepsItsLabel()
    {
        var rows = SyntheticRows();
        var few = PairedStatistics.Compare(rows, "corrkd", "no_kd", "f1_non0", dataset: "MOSI");
        var (fewWidth, fewHeight) = Charts.SizeOf(Charts.Forest(few));
        Assert.Equal(900, fewWidth);
        Assert.Equal((900, 600), Charts.SizeOf(Charts.IntraCurves(Aggregation.Summarize(rows), "MOSI")));
        var many = Enumerable.Range(0, 5).SelectMany(i => few.Select(c => c with { Dataset = $"MOSI-{i}" })).ToList();
        var (_, height) = Charts.SizeOf(Charts.Forest(many));
        Assert.True(height >= 20 * many.Count && height > fewHeight, $"{many.Count} rows in {height} px");
        var html = Plotly.NET.GenericChart.toChartHTML(Charts.Forest(many));
        Assert.Contains("\"dtick\":1", html);
        Assert.Contains("MOSI-4: corrkd − no_kd, Avg", html);   // rows of several data sets keep distinct labels
        Assert.DoesNotContain("teacher comparisons", html);      // one panel without teacher rows
    }

    [Fact]
    public void ScoreCharts_MarkTheFloor_KeepPercentAxesOn0To100_AndClipBandsThere()
    {
        var agg = new[] { 0.0, 0.5, 1.0 }.SelectMany(r => new[]
        {
            new AggregateRow("MOSI", "corrkd", "intra", r.ToString(System.Globalization.CultureInfo.InvariantCulture), "", "f1_non0", 3, 0.75, 0.375),
            new AggregateRow("MOSI", "corrkd", "intra-l", r.ToString(System.Globalization.CultureInfo.InvariantCulture), "", "f1_non0", 3, 0.25, 0.375),
        }).Append(new AggregateRow("MOSI", "corrkd", "inter", "avg", "", "f1_non0", 3, 0.7, 0.01)).ToList();
        var intra = Plotly.NET.GenericChart.toChartHTML(Charts.IntraCurves(agg, "MOSI", floor: 0.362));
        Assert.Contains("always the majority class: 36.2", intra);
        Assert.Contains("only language dropped", intra);                 // a panel per intra protocol present
        Assert.DoesNotContain("only audio dropped", intra);
        Assert.DoesNotContain("112.5", intra);                            // bands clipped: 75 + 37.5 to 100, 25 - 37.5 to 0
        Assert.DoesNotContain("-12.5", intra);
        Assert.Contains("37.5", intra);                                   // the unclipped edges stay
        Assert.Contains("\"range\":[0,100]", intra);
        foreach (var chart in new[] { Charts.ConditionBars(agg, "MOSI", floor: 0.362), Charts.AblationBars(agg, "MOSI", floor: 0.362) })
        {
            var html = Plotly.NET.GenericChart.toChartHTML(chart);
            Assert.Contains("always the majority class: 36.2", html);
            Assert.Contains("\"range\":[0,100]", html);
        }
        Assert.DoesNotContain("majority class", Plotly.NET.GenericChart.toChartHTML(Charts.ConditionBars(agg, "MOSI")));
    }

    [Fact]
    public void ForestPlot_PutsTeacherRowsInAPanelOfTheirOwnOnTop()
    {
        PairedComparison C(string a, string b) => new("synthetic-mosi@0", "inter", "avg", "", "f1_non0", a, b, new[] { 0, 1, 2 },
            PairedStatistics.Test(new[] { 0.8, 0.7, 0.75 }, new[] { 0.6, 0.65, 0.7 }), 1.0);
        var rows = new[] { C("kd", "no-kd"), C("k3:teacher", "k3:no-kd"), C("corrkd", "no-kd") };
        Assert.Equal(new[] { "k3:teacher", "kd", "corrkd" }, Charts.ForestOrder(rows).Select(c => c.VariantA));
        var html = Plotly.NET.GenericChart.toChartHTML(Charts.Forest(rows));
        Assert.Contains("teacher comparisons", html);
        Assert.Contains("student comparisons", html);
        Assert.Contains("\"yaxis2\"", html);
        Assert.True(html.IndexOf("k3:teacher − k3:no-kd, Avg", StringComparison.Ordinal) < html.IndexOf("kd − no-kd, Avg", StringComparison.Ordinal));
    }

    [Fact]
    public void ToPng_ReturnsFalseWithoutChromium() =>
        Assert.False(Charts.ToPng("x.html", Path.Combine(dir, "x.png"), chromiumPath: "/nonexistent/chromium"));
}
