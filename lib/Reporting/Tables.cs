using System.Globalization;

namespace CorrKD.Reporting;

/// <summary>
/// Display options shared by the table builders. Defaults: 2 decimals; proportions (every metric but mae and
/// corr) printed as percentages like the paper; variants in first-appearance order under their own names.
/// </summary>
public sealed record TableOptions
{
    public int Decimals { get; init; } = 2;
    /// <summary>Multiply proportion metrics by 100 (the paper prints %). mae and corr are never scaled.</summary>
    public bool Percent { get; init; } = true;
    /// <summary>Variants to show, in this order (null: all, in first-appearance order).</summary>
    public IReadOnlyList<string>? Variants { get; init; }
    /// <summary>Display names for variants (e.g. "corrkd" → "CorrKD (kit)"); missing entries print as is.</summary>
    public IReadOnlyDictionary<string, string>? VariantLabels { get; init; }
    /// <summary>Published models to show (null: all of the dataset's published rows).</summary>
    public IReadOnlyList<string>? PublishedModels { get; init; }

    public static TableOptions Default { get; } = new();
}

/// <summary>Builders for the paper's table layouts from seed-aggregated results (<see cref="Aggregation.Summarize"/>).</summary>
public static class Tables
{
    /// <summary>Sentiment headline metric name (same string as CorrKD.Evaluation.Metrics.Headline.Sentiment).</summary>
    public const string SentimentHeadline = "f1_non0";
    /// <summary>IEMOCAP per-emotion headline metric (CorrKD.Evaluation.Metrics.Headline.Emotion).</summary>
    public const string EmotionHeadline = "f1";
    /// <summary>Inter-modality column order of the paper: six incomplete sets, their average, then complete.</summary>
    public static readonly string[] InterConditions = ["l", "a", "v", "la", "lv", "av", "avg", "lav"];
    static readonly string[] InterHeaders = ["{l}", "{a}", "{v}", "{l,a}", "{l,v}", "{a,v}", "Avg", "{l,a,v}"];
    public static readonly string[] Emotions = ["happy", "sad", "angry", "neutral"];
    /// <summary>Kit variant name → model name in the published MOSI ablation rows.</summary>
    public static readonly IReadOnlyDictionary<string, string> AblationPublishedNames = new Dictionary<string, string>
    {
        ["corrkd"] = "CorrKD", ["wo-scd"] = "w/o SCD", ["wo-cpd"] = "w/o CPD", ["rcd-kl"] = "RCD->KL",
    };
    const string Dagger = "†";

    static string PublishedNote(IEnumerable<PublishedRow> rows) =>
        $"{Dagger} published numbers, real data (weighted F1 %, {string.Join(", ", rows.Select(r => r.Source).Distinct())}); " +
        "shown for reference, not comparable to runs on other data.";

    /// <summary>
    /// MOSI/MOSEI inter-modality table (paper Table 1): rows = variants, columns {l} {a} {v} {l,a} {l,v} {a,v} Avg
    /// {l,a,v}, cells "mean ± sd" over seeds of metric (default f1_non0). Avg comes from the per-seed "avg" rows
    /// (<see cref="ResultRows.WithInterAverage"/>), so its sd is the sd of per-seed averages. Published rows, when
    /// given, follow in their own block labelled "(published)†" with a footnote.
    /// </summary>
    public static Table InterModality(IReadOnlyList<AggregateRow> agg, string dataset, string metric = SentimentHeadline,
        IReadOnlyList<PublishedRow>? published = null, TableOptions? options = null)
    {
        var o = options ?? TableOptions.Default;
        var cells = Index(agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Inter && a.Metric == metric && a.Emotion == ""));
        var kit = VariantsOf(cells.Keys.Select(k => k.Variant), o)
            .Select(v => (IReadOnlyList<string>)[Label(v, o), .. InterConditions.Select(c => Cell(cells, v, c, metric, o))]).ToList();
        var blocks = new List<TableBlock> { new("This kit (mean ± sd over seeds)", kit) };
        var notes = new List<string>();
        var pub = PublishedFor(published, dataset, "", o);
        if (pub.Count > 0)
        {
            blocks.Add(new TableBlock($"Published{Dagger}", pub.GroupBy(p => p.Model).Select(g => (IReadOnlyList<string>)
                [$"{g.Key} (published){Dagger}", .. InterConditions.Select(c => Pub(g, c, o))]).ToList()));
            notes.Add(PublishedNote(pub));
        }
        return new Table($"{dataset.ToLowerInvariant()}_inter", $"{dataset}: {metric} under inter-modality missingness",
            ["Model", .. InterHeaders], blocks, notes);
    }

    /// <summary>
    /// IEMOCAP table (paper Table 2): rows = (emotion, variant), columns as <see cref="InterModality"/>, per-emotion
    /// metric (default f1). Published rows per emotion in a separate block.
    /// </summary>
    public static Table Iemocap(IReadOnlyList<AggregateRow> agg, string dataset = "IEMOCAP", string metric = EmotionHeadline,
        IReadOnlyList<PublishedRow>? published = null, TableOptions? options = null)
    {
        var o = options ?? TableOptions.Default;
        var sel = agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Inter && a.Metric == metric && a.Emotion != "").ToList();
        var emotions = Emotions.Where(e => sel.Any(a => a.Emotion == e)).Concat(sel.Select(a => a.Emotion).Distinct().Except(Emotions)).ToList();
        var variants = VariantsOf(sel.Select(a => a.Variant), o);
        var kit = new List<IReadOnlyList<string>>();
        foreach (var e in emotions)
        {
            var cells = Index(sel.Where(a => a.Emotion == e));
            kit.AddRange(variants.Select(v => (IReadOnlyList<string>)[e, Label(v, o), .. InterConditions.Select(c => Cell(cells, v, c, metric, o))]));
        }
        var blocks = new List<TableBlock> { new("This kit (mean ± sd over seeds)", kit) };
        var notes = new List<string>();
        var pub = (published ?? []).Where(p => p.Dataset == dataset && p.Emotion != "" && (o.PublishedModels is null || o.PublishedModels.Contains(p.Model))).ToList();
        if (pub.Count > 0)
        {
            var pubEmotions = Emotions.Where(e => pub.Any(p => p.Emotion == e));
            blocks.Add(new TableBlock($"Published{Dagger}", pubEmotions.SelectMany(e => pub.Where(p => p.Emotion == e).GroupBy(p => p.Model)
                .Select(g => (IReadOnlyList<string>)[e, $"{g.Key} (published){Dagger}", .. InterConditions.Select(c => Pub(g, c, o))])).ToList()));
            notes.Add(PublishedNote(pub));
        }
        return new Table($"{dataset.ToLowerInvariant()}_inter", $"{dataset}: per-emotion {metric} under inter-modality missingness",
            ["Emotion", "Model", .. InterHeaders], blocks, notes);
    }

    /// <summary>
    /// Ablation table: rows = variants, columns Avg (inter "avg" condition, mean ± sd), Δ vs the reference variant
    /// (difference of means), and the published MOSI ablation Avg beside each variant that has one
    /// (<see cref="AblationPublishedNames"/>; published dataset "MOSI-ablation").
    /// </summary>
    public static Table Ablation(IReadOnlyList<AggregateRow> agg, string dataset, string metric = SentimentHeadline,
        string referenceVariant = "corrkd", IReadOnlyList<PublishedRow>? published = null, TableOptions? options = null)
    {
        var o = options ?? TableOptions.Default;
        var cells = Index(agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Inter && a.Metric == metric && a.Emotion == ""));
        cells.TryGetValue((referenceVariant, Protocols.Average), out var reference);
        var pub = (published ?? []).Where(p => p.Dataset == "MOSI-ablation" && p.Condition == Protocols.Average).ToList();
        var columns = new List<string> { "Variant", "Avg", $"Δ vs {Label(referenceVariant, o)}" };
        if (pub.Count > 0) columns.Add($"Published Avg (MOSI){Dagger}");
        var rows = VariantsOf(cells.Keys.Select(k => k.Variant), o).Select(v =>
        {
            cells.TryGetValue((v, Protocols.Average), out var a);
            var delta = a is null || reference is null ? "-" : v == referenceVariant ? "0" :
                Signed((a.Mean - reference.Mean) * Scale(metric, o), o.Decimals);
            var row = new List<string> { Label(v, o), Cell(cells, v, Protocols.Average, metric, o), delta };
            if (pub.Count > 0)
                row.Add(AblationPublishedNames.TryGetValue(v, out var m) && pub.FirstOrDefault(p => p.Model == m) is { } pr
                    ? Fmt(pr.F1Percent, o.Decimals) : "-");
            return (IReadOnlyList<string>)row;
        }).ToList();
        var notes = pub.Count > 0 ? new List<string> { PublishedNote(pub) } : [];
        return new Table($"{dataset.ToLowerInvariant()}_ablation", $"{dataset}: ablation, {metric} averaged over the six incomplete modality sets",
            columns, [new TableBlock("", rows)], notes);
    }

    /// <summary>Intra-modality table: rows = variants, columns = missing rates (ascending), cells mean ± sd.</summary>
    public static Table IntraModality(IReadOnlyList<AggregateRow> agg, string dataset, string metric = SentimentHeadline,
        string emotion = "", TableOptions? options = null)
    {
        var o = options ?? TableOptions.Default;
        var sel = agg.Where(a => a.Dataset == dataset && a.Protocol == Protocols.Intra && a.Metric == metric && a.Emotion == emotion).ToList();
        var rates = sel.Select(a => a.Condition).Distinct()
            .OrderBy(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : double.MaxValue).ToList();
        var cells = Index(sel);
        var rows = VariantsOf(sel.Select(a => a.Variant), o)
            .Select(v => (IReadOnlyList<string>)[Label(v, o), .. rates.Select(r => Cell(cells, v, r, metric, o))]).ToList();
        var what = emotion.Length > 0 ? $"{emotion} {metric}" : metric;
        return new Table($"{dataset.ToLowerInvariant()}_intra{(emotion.Length > 0 ? "_" + emotion : "")}",
            $"{dataset}: {what} vs intra-modality missing rate", ["Model", .. rates], [new TableBlock("", rows)], []);
    }

    /// <summary>
    /// Paired-comparison table: per setting, A − B mean difference, 95% CI, two-sided paired t p, exact sign-flip p,
    /// Holm-adjusted p (over the family given), and n seeds. Differences scaled like the metric (% for proportions).
    /// </summary>
    public static Table Paired(IReadOnlyList<PairedComparison> comparisons, TableOptions? options = null, string name = "paired")
    {
        var o = options ?? TableOptions.Default;
        var rows = comparisons.Select(c =>
        {
            double s = Scale(c.Metric, o);
            return (IReadOnlyList<string>)
            [
                c.Setting, $"{Label(c.VariantA, o)} − {Label(c.VariantB, o)}", Signed(c.Result.MeanDiff * s, o.Decimals),
                $"[{Fmt(c.Result.CiLow * s, o.Decimals)}, {Fmt(c.Result.CiHigh * s, o.Decimals)}]",
                P(c.Result.PValue), P(c.Result.PPermutation), P(c.PHolm), c.Result.N.ToString(CultureInfo.InvariantCulture),
            ];
        }).ToList();
        var metric = string.Join(", ", comparisons.Select(c => c.Metric).Distinct());
        return new Table(name, $"Paired differences over seeds ({metric})",
            ["Setting", "Comparison", "Mean diff", "95% CI", "p (t)", "p (sign-flip)", "p (Holm)", "n"],
            [new TableBlock("", rows)],
            ["Two-sided paired t-test on per-seed differences; sign-flip p is exact over all 2^n sign patterns (n ≤ 16); " +
             "Holm-Bonferroni over the rows of this table."]);
    }

    /// <summary>"mean ± sd" (sd omitted for one seed), scaled to % for proportion metrics.</summary>
    public static string MeanStd(double mean, double std, int decimals) =>
        double.IsNaN(std) ? Fmt(mean, decimals) : $"{Fmt(mean, decimals)} ± {Fmt(std, decimals)}";

    /// <summary>Proportion metrics are everything except mae and corr.</summary>
    public static bool IsProportion(string metric) => metric is not ("mae" or "corr");

    static double Scale(string metric, TableOptions o) => o.Percent && IsProportion(metric) ? 100 : 1;

    static string Cell(Dictionary<(string Variant, string Condition), AggregateRow> cells, string v, string c, string metric, TableOptions o) =>
        cells.TryGetValue((v, c), out var a) ? MeanStd(a.Mean * Scale(metric, o), a.Std * Scale(metric, o), o.Decimals) : "-";

    static string Pub(IEnumerable<PublishedRow> rows, string condition, TableOptions o) =>
        rows.FirstOrDefault(r => r.Condition == condition) is { } r ? Fmt(r.F1Percent, o.Decimals) : "-";

    static List<PublishedRow> PublishedFor(IReadOnlyList<PublishedRow>? published, string dataset, string emotion, TableOptions o) =>
        (published ?? []).Where(p => p.Dataset == dataset && p.Emotion == emotion && (o.PublishedModels is null || o.PublishedModels.Contains(p.Model))).ToList();

    static Dictionary<(string Variant, string Condition), AggregateRow> Index(IEnumerable<AggregateRow> rows)
    {
        var d = new Dictionary<(string, string), AggregateRow>();
        foreach (var r in rows)
            if (!d.TryAdd((r.Variant, r.Condition), r))
                throw new ArgumentException($"two aggregate rows for variant '{r.Variant}', condition '{r.Condition}' ({r.Dataset}, {r.Metric}, emotion '{r.Emotion}')");
        return d;
    }

    static List<string> VariantsOf(IEnumerable<string> present, TableOptions o)
    {
        var p = present.Distinct().ToList();
        return o.Variants is null ? p : o.Variants.Where(p.Contains).ToList();
    }

    static string Label(string variant, TableOptions o) =>
        o.VariantLabels is not null && o.VariantLabels.TryGetValue(variant, out var l) ? l : variant;

    static string Fmt(double v, int decimals) => NumberText.Plain(v, decimals);
    static string Signed(double v, int decimals) => NumberText.Signed(v, decimals);
    static string P(double p) => double.IsNaN(p) ? "-" : p < 0.001 ? "<0.001" : p.ToString("F3", CultureInfo.InvariantCulture);
}
