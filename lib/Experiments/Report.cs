using System.Text;
using CorrKD.Reporting;

namespace CorrKD.Experiments;

/// <summary>What a report wrote, and the main table as Markdown for the terminal.</summary>
public sealed record ReportOutput(string Folder, IReadOnlyList<string> Files, string MainTableMarkdown, string Summary);

/// <summary>
/// Turns tidy result rows (from one or many runs or grids) into the paper's tables and figures:
/// results.csv (merged, with the per-seed inter "avg"), aggregate.csv (mean ± sd over seeds), tables in Markdown,
/// CSV and LaTeX (inter-modality per data set, IEMOCAP per emotion, ablation, intra-modality, paired tests of
/// corrkd against every other variant with Holm correction), and charts as offline HTML (PNG when chromium exists).
/// The published numbers, when asked for, sit in their own labelled block: they are real-data figures.
/// </summary>
public static class Report
{
    public static ReportOutput Build(IEnumerable<ResultRow> resultRows, string outDir, bool withPublished = true, bool png = true, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        Directory.CreateDirectory(outDir);
        var rows = ResultRows.WithInterAverage(resultRows);
        if (rows.Count == 0) throw new InvalidOperationException("no results to report: no results.csv found in the given folders");
        var files = new List<string>();
        ResultsCsv.Write(Path.Combine(outDir, "results.csv"), rows); files.Add("results.csv");
        var agg = Aggregation.Summarize(rows);
        IO.AtomicFile.Write(Path.Combine(outDir, "aggregate.csv"), tmp => Microsoft.Data.Analysis.DataFrame.SaveCsv(Aggregation.ToDataFrame(agg), tmp,
            cultureInfo: System.Globalization.CultureInfo.InvariantCulture));
        files.Add("aggregate.csv");

        var published = withPublished ? PublishedResults.LoadDefault() : Array.Empty<PublishedRow>();
        var tablesDir = Path.Combine(outDir, "tables");
        var chartsDir = Path.Combine(outDir, "charts");
        var main = new StringBuilder();
        var summary = new StringBuilder();
        foreach (var dataset in rows.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal))
        {
            var dsRows = rows.Where(r => r.Dataset == dataset).ToList();
            bool emotion = dsRows.Any(r => r.Emotion.Length > 0);
            var metric = emotion ? Tables.EmotionHeadline : Tables.SentimentHeadline;
            var family = Family(dataset);
            var pub = PublishedFor(published, dataset);
            var options = new TableOptions { Variants = VariantOrder(dsRows.Select(r => r.Variant)) };

            var inter = emotion ? Tables.Iemocap(agg, dataset, metric, pub, options) : Tables.InterModality(agg, dataset, metric, pub, options);
            files.AddRange(inter.Write(tablesDir).Select(f => Path.GetRelativePath(outDir, f)));
            main.AppendLine(inter.ToMarkdown());
            if (emotion)
            {
                var avg = Tables.InterModality(agg, dataset, "f1_avg", null, options);
                files.AddRange(avg.Write(tablesDir).Select(f => Path.GetRelativePath(outDir, f)));
            }
            var ablationMetric = emotion ? "f1_avg" : metric;
            var ablation = Tables.Ablation(agg, dataset, ablationMetric, "corrkd", family == "MOSI" ? pub : null, options);
            files.AddRange(ablation.Write(tablesDir).Select(f => Path.GetRelativePath(outDir, f)));
            main.AppendLine(ablation.ToMarkdown());
            var intraMetric = emotion ? "f1_avg" : metric;
            if (dsRows.Any(r => r.Protocol == Protocols.Intra))
            {
                files.AddRange(Tables.IntraModality(agg, dataset, intraMetric, "", options).Write(tablesDir).Select(f => Path.GetRelativePath(outDir, f)));
                files.Add(Chart(Charts.IntraCurves(agg, dataset, intraMetric, options.Variants), chartsDir, $"{Safe(dataset)}_intra", png, outDir));
            }
            files.Add(Chart(Charts.ConditionBars(agg, dataset, ablationMetric, options.Variants), chartsDir, $"{Safe(dataset)}_conditions", png, outDir));
            // Synthetic bars only: the published real-data ablation is in the ablation table, never on the same axis.
            files.Add(Chart(Charts.AblationBars(agg, dataset, ablationMetric, options.Variants), chartsDir, $"{Safe(dataset)}_ablation", png, outDir));

            var comparisons = CorrKDComparisons(dsRows, dataset, ablationMetric);
            if (comparisons.Count > 0)
            {
                var paired = Tables.Paired(comparisons, options, $"{Safe(dataset)}_paired");
                files.AddRange(paired.Write(tablesDir).Select(f => Path.GetRelativePath(outDir, f)));
                main.AppendLine(paired.ToMarkdown());
                files.Add(Chart(Charts.Forest(comparisons), chartsDir, $"{Safe(dataset)}_paired", png, outDir));
            }
            summary.AppendLine(TeacherGap(dsRows, ablationMetric, dataset));
        }
        IO.AtomicFile.WriteAllText(Path.Combine(outDir, "tables.md"), main.ToString() + "\n" + summary);
        files.Add("tables.md");
        log.WriteLine($"report: {files.Count} files in {outDir}");
        return new ReportOutput(outDir, files, main.ToString(), summary.ToString());
    }

    /// <summary>
    /// corrkd against every other variant of one data set (settings excluded), paired over seeds, on the Avg over
    /// the six incomplete sets and on complete input; Holm-Bonferroni over exactly that family.
    /// </summary>
    public static IReadOnlyList<PairedComparison> CorrKDComparisons(IReadOnlyList<ResultRow> rows, string dataset, string metric)
    {
        var comparisons = new List<PairedComparison>();
        foreach (var other in VariantOrder(rows.Where(r => r.Dataset == dataset).Select(r => r.Variant)).Where(v => v != "corrkd" && !v.Contains(':')))
            comparisons.AddRange(PairedStatistics.Compare(rows, "corrkd", other, metric, dataset, Protocols.Inter)
                .Where(c => c.Condition is "avg" or "lav" && c.Emotion == ""));
        var holm = PairedStatistics.Holm(comparisons.Select(c => c.Result.PValue).ToArray());
        return comparisons.Select((c, i) => c with { PHolm = holm[i] }).ToList();
    }

    /// <summary>
    /// Teacher complete-input score minus the no-kd student's, per seed: a distillation claim means little while
    /// this gap is zero or negative (the teacher has nothing the student lacks).
    /// </summary>
    public static string TeacherGap(IReadOnlyList<ResultRow> rows, string metric, string dataset)
    {
        double? Get(string variant, int seed) => rows.FirstOrDefault(r => r.Variant == variant && r.Seed == seed && r.Protocol == Protocols.Inter
            && r.Condition == "lav" && r.Metric == metric && r.Emotion == "")?.Value;
        var seeds = rows.Select(r => r.Seed).Distinct().Order().ToList();
        var gaps = seeds.Select(s => (s, t: Get("teacher", s), n: Get("no-kd", s))).Where(x => x.t is not null && x.n is not null)
            .Select(x => (x.s, gap: 100 * (x.t!.Value - x.n!.Value))).ToList();
        if (gaps.Count == 0) return $"{dataset}: teacher gap unavailable (needs teacher and no-kd runs)";
        return $"{dataset}: teacher gap (teacher complete {metric} − no-kd student complete {metric}, points) per seed: " +
               string.Join(", ", gaps.Select(g => $"s{g.s} {NumberText.Signed(g.gap)}")) + $"; mean {NumberText.Signed(gaps.Average(g => g.gap))}";
    }

    /// <summary>
    /// The published rows of a kit data set's family, renamed to the kit's data set so tables print them in their
    /// labelled block; for MOSI also the published ablation rows.
    /// </summary>
    public static IReadOnlyList<PublishedRow> PublishedFor(IReadOnlyList<PublishedRow> published, string dataset)
    {
        var family = Family(dataset);
        return published.Where(p => p.Dataset == family).Select(p => p with { Dataset = dataset })
            .Concat(published.Where(p => p.Dataset == "MOSI-ablation" && family == "MOSI")).ToList();
    }

    /// <summary>The paper's family of a kit data set name (synthetic-mosi@0 -> MOSI), for the published rows.</summary>
    public static string Family(string dataset)
    {
        var n = dataset.ToLowerInvariant();
        return n.Contains("iemocap") ? "IEMOCAP" : n.Contains("mosei") ? "MOSEI" : n.Contains("mosi") ? "MOSI" : dataset;
    }

    private static readonly string[] PreferredOrder = { "teacher", "no-kd", "kd", "rcd-kl", "wo-scd", "wo-cpd", "corrkd" };

    public static IReadOnlyList<string> VariantOrder(IEnumerable<string> variants)
    {
        var all = variants.Distinct().ToList();
        return PreferredOrder.Where(all.Contains).Concat(all.Except(PreferredOrder).Order(StringComparer.Ordinal)).ToList();
    }

    private static string Chart(Plotly.NET.GenericChart chart, string dir, string name, bool png, string root)
    {
        var html = Charts.SaveWithPng(chart, Path.Combine(dir, name + ".html"), png);
        return Path.GetRelativePath(root, html);
    }

    private static string Safe(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
