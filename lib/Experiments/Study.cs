using System.Text.Json.Nodes;
using CorrKD.Reporting;
using CorrKD.Training;

namespace CorrKD.Experiments;

/// <summary>
/// One row of the study: a paired difference A − B over (data seed, seed) pairs, in points, on one data set
/// (<see cref="Setting"/> holds the data set's name) and condition (avg = inter-modality Avg, lav = complete input).
/// <see cref="Question"/> says which of the study's questions the row answers (<see cref="Study.Questions"/>);
/// <see cref="Teacher"/> marks a teacher compared on complete input (the teacher gap).
/// <see cref="Detectable"/>: the smallest true difference (points) the row's pairs detect with power 0.8 at alpha
/// 0.05, given their spread — what "no difference shown" can rule out.
/// </summary>
public sealed record StudyEffect(string Setting, string Comparison, string Condition, int N, double MeanDiff, double CiLow, double CiHigh,
    double P, double PHolm, double SdDiff, int SeedsFor1Point, bool Teacher)
{
    public string Question { get; init; } = Study.VersusNoKd;
    public double Detectable { get; init; } = double.NaN;
    /// <summary>Half the 95% interval's width (points): the issue's target is at most 1.</summary>
    public double HalfWidth => (CiHigh - CiLow) / 2;
}

/// <summary>One setting that keeps every pair, on one data set, against the study's precision rule
/// (<see cref="Study.PrecisionRows"/>): the fewest pairs and the widest 95% half-width of its own contrasts, the pairs the
/// rule needs at their spread, whether it is settled (its rows are narrow enough) and whether it has stopped.
/// <see cref="Detectable"/>: the largest smallest-detectable effect over its rows (power 0.8, alpha 0.05), what the
/// setting can rule out so far. <see cref="PairsLeft"/>: the pairs it still wants, which orders the queue (fewest
/// first): the fewest of its own shortfall (none once settled) and those of the settings still using its no-kd.</summary>
public sealed record SettingPrecision(string Dataset, string Setting, int Pairs, double Widest, int PairsNeeded, bool Settled, bool Stopped)
{
    public double Detectable { get; init; } = double.NaN;
    public int PairsLeft { get; init; }

    public string Reason => $"{Pairs} pairs, widest ±{NumberText.Plain(Widest)}";
}

/// <summary>
/// "Where does CorrKD's gain come from?" — a question the paper never asks: against the same backbone trained
/// with random missingness and no distillation (no-kd), how much do kd, corrkd and each ablation add, how strong
/// is the teacher, and how sensitive is the answer to the choices the paper leaves open?
/// Every student is compared with the no-kd student of the same data seed and seed (paired), pooled over data
/// seeds; Holm-Bonferroni over the whole family; a power note gives the seeds needed for a 1-point effect.
/// </summary>
public static class Study
{
    /// <summary>The sentiment families, where K=3 and the teacher settings are studied; IEMOCAP gets the core contrasts.</summary>
    private static readonly string[] Sentiment = { "mosi", "mosei" };
    /// <summary>A stronger, regularised teacher: lower lr, more dropout, weight decay (SYNTHETIC-FINDINGS).</summary>
    private const string StrongTeacher = """{"learning_rate": 0.0005, "dropout": 0.3, "weight_decay": 0.0001, "selection": "loss"}""";
    /// <summary>The contrasts against no-kd every core setting trains.</summary>
    private static readonly string[] Core = { "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" };
    /// <summary>What the report, the README block and notebook 09 say before two whole pairs exist.</summary>
    public const string NoComparisons = "No paired comparisons yet: they need no-kd and the compared variant in at least 2 common pairs.";
    /// <summary>The setting that selects students on the mean validation headline (the collapse fix, see <see cref="Collapses"/>).</summary>
    public const string SelectMetric = "select-metric";
    /// <summary>K=3 with the collapse fix: its own teacher's students and no-kd, compared with <see cref="SelectMetric"/>.</summary>
    private const string K3SelectMetric = "k3-select-metric";
    /// <summary>The study's precision rule: the issue's ±1 point, over at least 10 pairs (so at least three data seeds,
    /// and a spread estimated on 9 degrees of freedom or more).</summary>
    public static readonly StopRule Precision = new(1.0, 10);
    /// <summary>Pairs kept by the sensitivity settings (OPEN choices), against all pairs for the core contrasts.</summary>
    public const int SensitivityPairs = 3;

    /// <summary>
    /// The study grid: 10 seeds x 3 data seeds = 30 (seed, data seed) pairs, trained pair by pair so a study stopped
    /// early holds whole pairs over every data seed (<c>--resume</c> goes on). Core settings — the default (K=2) and a
    /// stronger teacher, K=3 with either teacher — train no-kd and the five core contrasts on the sentiment families;
    /// the default also runs on the other families given (synthetic-iemocap, K=4). The OPEN choices keep
    /// <see cref="SensitivityPairs"/> pairs. Settings only list the variants they change, so nothing is trained twice.
    /// </summary>
    public static GridSpec Spec(string[] datasets, bool smoke) => smoke
        ? new GridSpec
        {
            Datasets = datasets, DataSeeds = new[] { 0 }, Seeds = new[] { 0, 1 }, Epochs = 4, EvaluateIntra = false,
            Variants = new[] { "no-kd", "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" },
            Settings = new[] { GridSetting.Default, Setting("kd-tau1", """{"distillation": {"kd_temperature": 1}}""", "kd") with { MaxPairs = 1 } },
        }
        : new GridSpec
        {
            Datasets = datasets,
            DataSeeds = new[] { 0, 1, 2 },
            Seeds = Enumerable.Range(0, 10).ToArray(),
            EvaluateIntra = false,
            Variants = new[] { "no-kd", "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" },
            Stop = Precision,
            Settings = new[]
            {
                GridSetting.Default,
                Setting("teacher-strong", $$"""{"teacher": {{StrongTeacher}}}""", Core) with { Families = Sentiment },
                // K=3 (neutral class): RCD's non-target part becomes live; its own teachers and no-kd baseline.
                Setting("k3", """{"sentiment_classes": 3}""") with { Families = Sentiment },
                Setting("k3-teacher-strong", $$"""{"sentiment_classes": 3, "teacher": {{StrongTeacher}}}""", Core) with { Families = Sentiment, Baseline = "k3" },
                Sensitivity("kd-tau1", """{"distillation": {"kd_temperature": 1}}""", "kd"),
                Sensitivity("rcd-tau2", """{"distillation": {"rcd_temperature": 2}}""", "corrkd"),
                Sensitivity("weights-0.3", """{"distillation": {"lambda_scd": 0.3, "lambda_cpd": 0.3, "lambda_rcd": 0.3}}""", "corrkd"),
                Sensitivity("scd-margin-0.5", """{"distillation": {"scd_margin": 0.5}}""", "corrkd"),
                Sensitivity("scd-margin-2", """{"distillation": {"scd_margin": 2}}""", "corrkd"),
                Sensitivity("scd-unnormalised", """{"distillation": {"scd_normalize": false}}""", "corrkd"),
                // The collapse fix: select (and stop early) on the mean validation headline over the seven sets instead of
                // the mean cross-entropy; every student, its own no-kd.
                // (Appended last: a study folder grows into a spec that only adds settings at the end.)
                Setting(SelectMetric, """{"student": {"selection": "metric"}}""") with { Families = Sentiment },
                // The same fix at K=3 and with the stronger teacher (appended after it, 2026-12-04): the default selection's
                // intervals are wide from the collapses, the fix's are not, so these answer K=3 and the teacher question
                // in pairs the study can afford. Each is compared with its counterpart under the same selection.
                Setting(K3SelectMetric, """{"sentiment_classes": 3, "student": {"selection": "metric"}}""") with { Families = Sentiment, Baseline = SelectMetric },
                Setting("teacher-strong-select-metric", $$$"""{"teacher": {{{StrongTeacher}}}, "student": {"selection": "metric"}}""", Core) with { Families = Sentiment, Baseline = SelectMetric },
                Setting("k3-teacher-strong-select-metric", $$$"""{"sentiment_classes": 3, "teacher": {{{StrongTeacher}}}, "student": {"selection": "metric"}}""", Core)
                    with { Families = Sentiment, Baseline = K3SelectMetric },
            },
        };

    /// <summary>The data sets `./kit study` uses without --datasets: synthetic-mosi and synthetic-iemocap (smoke: synthetic-mosi-tiny).</summary>
    public static string[] DefaultDatasets(bool smoke) => smoke ? new[] { "synthetic-mosi-tiny" } : new[] { "synthetic-mosi", "synthetic-iemocap" };

    private static GridSetting Setting(string name, string patch, params string[] variants) =>
        new(name, JsonNode.Parse(patch)!.AsObject(), variants.Length == 0 ? null : variants);

    private static GridSetting Sensitivity(string name, string patch, params string[] variants) =>
        Setting(name, patch, variants) with { Families = Sentiment, MaxPairs = SensitivityPairs };

    public const string VersusNoKd = "vs no-kd", CorrkdVersusKd = "corrkd vs kd", Terms = "each term", SettingChange = "setting change",
        ClassCount = "K=2 vs K=3";
    /// <summary>The study's questions, in the order the answer and the effects table give them.</summary>
    public static readonly string[] Questions = { VersusNoKd, CorrkdVersusKd, Terms, SettingChange, ClassCount };

    /// <summary>The headline metric of a data set's rows: mean per-emotion F1 for IEMOCAP, weighted F1 (non0) otherwise.</summary>
    public static string MetricOf(IEnumerable<ResultRow> rows) => rows.Any(r => r.Emotion.Length > 0) ? "f1_avg" : "f1_non0";

    /// <summary>"k3:corrkd" -> ("k3", "corrkd"); "corrkd" -> ("default", "corrkd").</summary>
    private static (string Setting, string Variant) Split(string v) =>
        v.IndexOf(':') is int i and >= 0 ? (v[..i], v[(i + 1)..]) : ("default", v);
    private static string Join(string setting, string variant) => setting == "default" ? variant : $"{setting}:{variant}";

    /// <summary>
    /// Every comparison of the study on each data set, Holm-adjusted over the whole family (all data sets and questions):
    /// <list type="bullet">
    /// <item>vs no-kd: each student (Avg and complete input) and teacher (complete input) minus the no-kd student of its
    /// setting, or of <see cref="GridSetting.Baseline"/> (default: "default") when the setting trains none;</item>
    /// <item>corrkd vs kd (Avg, complete) and each term: corrkd minus wo-scd, wo-cpd and rcd-kl (Avg), per setting;</item>
    /// <item>setting change: a setting without its own no-kd (a stronger teacher, an OPEN choice) against its baseline
    /// setting, variant by variant (Avg; teachers on complete input);</item>
    /// <item>a setting with its own no-kd against the default, on the gain over no-kd ((k3:v − k3:no-kd) − (v − no-kd),
    /// Avg) for kd and corrkd: "K=2 vs K=3" when it changes the classes; otherwise (select-metric) a setting change, with
    /// every variant's own scores compared too, no-kd included.</item>
    /// </list>
    /// Rows pool data seeds into pairs (<see cref="Pooled"/>); <paramref name="metric"/> null takes each data set's
    /// <see cref="MetricOf"/>. <paramref name="spec"/> supplies the baselines; without it, "default".
    /// </summary>
    public static (IReadOnlyList<StudyEffect> Effects, IReadOnlyList<PairedComparison> Comparisons) Analyse(IReadOnlyList<ResultRow> results,
        string? metric = null, GridSpec? spec = null)
    {
        var raw = new List<(string Question, PairedComparison C)>();
        foreach (var data in Pooled(results).Where(r => r.Protocol == Protocols.Inter && r.Emotion == "").GroupBy(r => r.Dataset).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var m = metric ?? MetricOf(results.Where(r => r.Dataset.Split('@')[0] == data.Key));
            var rows = data.Where(r => r.Metric == m).ToList();
            var variants = rows.Select(r => r.Variant).Distinct().ToHashSet();
            var settings = variants.Select(v => Split(v).Setting).Distinct()
                .OrderBy(x => spec?.Settings.ToList().FindIndex(s => s.Name == x) is int i and >= 0 ? i : int.MaxValue).ThenBy(x => x, StringComparer.Ordinal).ToList();
            string BaselineOf(string setting) => variants.Contains(Join(setting, "no-kd")) ? setting
                : spec?.Settings.FirstOrDefault(s => s.Name == setting)?.Baseline ?? "default";
            void Add(string question, string a, string b, params string[] conditions)
            {
                if (!variants.Contains(a) || !variants.Contains(b)) return;
                raw.AddRange(PairedStatistics.Compare(rows, a, b, m).Where(c => conditions.Contains(c.Condition)).Select(c => (question, c)));
            }
            string[] students = variants.Select(v => Split(v).Variant).Where(v => v != "teacher" && v != "no-kd").Distinct().ToArray();
            var ordered = new[] { "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" }.Where(students.Contains).Concat(students.Order(StringComparer.Ordinal)).Distinct().ToList();
            foreach (var st in settings)
            {
                var b = BaselineOf(st);
                Add(VersusNoKd, Join(st, "teacher"), Join(b, "no-kd"), "lav");
                foreach (var v in ordered) Add(VersusNoKd, Join(st, v), Join(b, "no-kd"), "avg", "lav");
            }
            foreach (var st in settings) Add(CorrkdVersusKd, Join(st, "corrkd"), Join(st, "kd"), "avg", "lav");
            foreach (var st in settings)
                foreach (var w in new[] { "wo-scd", "wo-cpd", "rcd-kl" }) Add(Terms, Join(st, "corrkd"), Join(st, w), "avg");
            foreach (var st in settings.Where(x => BaselineOf(x) != x))
            {
                Add(SettingChange, Join(st, "teacher"), Join(BaselineOf(st), "teacher"), "lav");
                foreach (var v in ordered) Add(SettingChange, Join(st, v), Join(BaselineOf(st), v), "avg");
            }
            // A setting with its own no-kd: does the gain over no-kd change with it, against its reference setting (the
            // default unless the spec names another, e.g. K=3 under the headline selection against the K=2 one)? When it
            // keeps the classes (e.g. another selection rule) its scores are comparable with the reference's too, variant
            // by variant, no-kd included.
            foreach (var st in settings.Where(x => x != "default" && BaselineOf(x) == x && variants.Contains("no-kd")))
            {
                var reference = ReferenceOf(st, spec);
                bool classes = ChangesClasses(st, spec);
                if (!classes)
                    foreach (var v in ordered.Prepend("no-kd")) Add(SettingChange, Join(st, v), Join(reference, v), "avg");
                foreach (var v in new[] { "kd", "corrkd" })
                    if (GainDifference(rows, data.Key, m, st, reference, v) is { } c) raw.Add((classes ? ClassCount : SettingChange, c));
            }
        }
        var holm = PairedStatistics.Holm(raw.Select(x => x.C.Result.PValue).ToArray());
        var comparisons = raw.Select((x, i) => x.C with { PHolm = holm[i] }).ToList();
        var effects = raw.Select((x, i) =>
        {
            var (c, r) = (comparisons[i], comparisons[i].Result);
            double scale = Tables.IsProportion(c.Metric) ? 100 : 1;
            return new StudyEffect(c.Dataset, $"{c.VariantA} − {c.VariantB}", c.Condition, r.N, scale * r.MeanDiff, scale * r.CiLow, scale * r.CiHigh,
                r.PValue, c.PHolm, scale * r.SdDiff, r.SdDiff > 0 ? PairedStatistics.SeedsNeeded(1 / scale, r.SdDiff) : 2,
                IsTeacher(c.VariantA) || IsTeacher(c.VariantB))
            {
                Question = x.Question,
                Detectable = r.SdDiff > 0 ? scale * PairedStatistics.DetectableEffect(r.N, r.SdDiff) : 0,
            };
        }).ToList();
        return (effects, comparisons);
    }

    /// <summary>Whether a setting changes the number of classes (its scores are then not comparable with the default's);
    /// without a spec, every setting with its own no-kd is taken to (the K=3 setting).</summary>
    private static bool ChangesClasses(string setting, GridSpec? spec) =>
        spec?.Settings.FirstOrDefault(s => s.Name == setting) is not { } s || s.Patch.ContainsKey("sentiment_classes");

    /// <summary>The setting a setting with its own no-kd is compared with (<see cref="GridSetting.Baseline"/>; "default"
    /// without one or without a spec).</summary>
    private static string ReferenceOf(string setting, GridSpec? spec) =>
        spec?.Settings.FirstOrDefault(s => s.Name == setting)?.Baseline ?? "default";

    /// <summary>(setting:v − setting:no-kd) − (reference:v − reference:no-kd) on Avg over the pairs all four ran: does the
    /// gain over no-kd change with the setting (K=3 against K=2)? Null when fewer than 2 pairs have all four.</summary>
    private static PairedComparison? GainDifference(IReadOnlyList<ResultRow> rows, string dataset, string metric, string setting, string reference, string v)
    {
        Dictionary<int, double> Avg(string variant) => rows.Where(r => r.Variant == variant && r.Condition == Protocols.Average).ToDictionary(r => r.Seed, r => r.Value);
        var (a, a0, b, b0) = (Avg(Join(setting, v)), Avg(Join(setting, "no-kd")), Avg(Join(reference, v)), Avg(Join(reference, "no-kd")));
        var seeds = a.Keys.Intersect(a0.Keys).Intersect(b.Keys).Intersect(b0.Keys).Order().ToArray();
        if (seeds.Length < 2) return null;
        var r = PairedStatistics.Test(seeds.Select(s => a[s] - a0[s]).ToArray(), seeds.Select(s => b[s] - b0[s]).ToArray());
        return new PairedComparison(dataset, Protocols.Inter, Protocols.Average, "", metric, $"({Join(setting, v)} − {Join(setting, "no-kd")})",
            $"({Join(reference, v)} − {Join(reference, "no-kd")})", seeds, r, double.NaN);
    }

    /// <summary>The setting of a comparison's first variant: "k3:kd − k3:no-kd" and "(k3:kd − k3:no-kd) − (kd − no-kd)" → "k3".</summary>
    public static string SettingOf(string comparison) => Split(comparison.Split(" − ")[0].Trim('(')).Setting;

    /// <summary>Whether a comparison belongs to a setting that keeps every pair (no <see cref="GridSetting.MaxPairs"/>); all do without a spec.</summary>
    public static bool IsCore(string comparison, GridSpec? spec) =>
        spec?.Settings.FirstOrDefault(s => s.Name == SettingOf(comparison)) is not { MaxPairs: not null };

    /// <summary>The comparisons a reader looks at first: inter-modality Avg (and the teachers on complete input) of the
    /// settings that keep every pair; the OPEN-choice settings (fewer pairs) and complete input stay in the full table.</summary>
    public static IReadOnlyList<T> CoreRows<T>(IReadOnlyList<T> rows, GridSpec? spec, Func<T, string> comparison, Func<T, string> condition, Func<T, bool> teacher) =>
        rows.Where(r => IsCore(comparison(r), spec) && (condition(r) == "avg" || teacher(r))).ToList();

    /// <summary><see cref="CoreRows{T}"/> of paired comparisons (the forest plots' rows).</summary>
    public static IReadOnlyList<PairedComparison> CoreRows(IReadOnlyList<PairedComparison> comparisons, GridSpec? spec) =>
        CoreRows(comparisons, spec, c => $"{c.VariantA} − {c.VariantB}", c => c.Condition, c => IsTeacher(c.VariantA));

    /// <summary>
    /// The forest plots: the <see cref="CoreRows(IReadOnlyList{PairedComparison}, GridSpec?)"/> of each data set (each has
    /// its own headline metric, so their differences do not share an axis), split by the students' selection rule, since
    /// the validation loss and the validation headline give intervals of very different widths. A row belongs to the
    /// selection of its first variant's setting. Each with a title and a file stem (study_effects_DATASET[_select-metric]).
    /// </summary>
    public static IReadOnlyList<(string Title, string Stem, IReadOnlyList<PairedComparison> Rows)> ForestPanels(IReadOnlyList<PairedComparison> comparisons, GridSpec? spec) =>
        CoreRows(comparisons, spec).GroupBy(c => (c.Dataset, Headline: SelectsOnHeadline(SettingOf($"{c.VariantA} − {c.VariantB}"), spec)))
            .OrderBy(g => g.Key.Dataset, StringComparer.Ordinal).ThenBy(g => g.Key.Headline)
            .Select(g => (Title: $"{g.Key.Dataset}, students selected on validation {(g.Key.Headline ? "headline" : "loss")}: paired differences, 95% CI",
                Stem: $"study_effects_{g.Key.Dataset}{(g.Key.Headline ? "_" + SelectMetric : "")}", Rows: (IReadOnlyList<PairedComparison>)g.ToList()))
            .ToList();

    /// <summary>Whether a setting's students select on the validation headline (its patch sets student.selection "metric").</summary>
    private static bool SelectsOnHeadline(string setting, GridSpec? spec) =>
        spec?.Settings.FirstOrDefault(s => s.Name == setting)?.Patch["student"] is JsonObject student && (string?)student["selection"] == "metric";

    /// <summary>A variant name ("teacher", "k3:teacher") that is a teacher; a setting named "teacher-strong" does not make its students teachers.</summary>
    public static bool IsTeacher(string variant) => PairedComparison.IsTeacher(variant);

    /// <summary>
    /// The power note, per data set and baseline: from the median sd of the students' per-pair differences against
    /// no-kd on Avg, the 95% interval's half-width and the smallest effect detectable (power 0.8) at the pairs the study
    /// has, and the pairs an interval of at most ±1 point needs.
    /// </summary>
    public static string PowerNote(IReadOnlyList<StudyEffect> effects)
    {
        var avg = effects.Where(e => e.Question == VersusNoKd && !e.Teacher && e.Condition == Protocols.Average && e.SdDiff > 0).ToList();
        if (avg.Count == 0) return "Power: the per-pair differences on Avg have no spread (or there are none), so no power estimate is possible.";
        var lines = avg.GroupBy(e => (e.Setting, Baseline: e.Comparison[(e.Comparison.IndexOf(" − ", StringComparison.Ordinal) + 3)..]))
            .Select(g =>
            {
                var sds = g.Select(e => e.SdDiff).Order().ToList();
                double sd = sds[sds.Count / 2];
                int n = g.Max(e => e.N);
                return $"{g.Key.Setting} against {g.Key.Baseline}: median sd of the per-pair differences on Avg {sd:F2} points over {n} pairs, " +
                       $"so a 95% interval of ±{PairedStatistics.HalfWidth(n, sd):F2} and a smallest detectable effect of {PairedStatistics.DetectableEffect(n, sd):F2} " +
                       $"points (power 0.8); an interval of at most ±1 point needs {PairedStatistics.PairsForHalfWidth(sd, 1.0)} pairs.";
            });
        return "Power, per data set and baseline:\n" + string.Join("\n", lines.Select(l => "- " + l));
    }

    /// <summary>The questions whose rows a setting's precision rule looks at: those within one setting.</summary>
    private static readonly string[] OwnQuestions = { VersusNoKd, CorrkdVersusKd, Terms };

    /// <summary>
    /// The precision rule (<see cref="GridSpec.Stop"/>) on a study's effects, one row per data set and setting that keeps
    /// every pair (no <see cref="GridSetting.MaxPairs"/>). Its rows are the Avg rows of the setting's students in the
    /// questions within one setting (vs no-kd, corrkd vs kd, each term). It is settled when each of its students has
    /// its row against no-kd and every row has at least MinPairs pairs and a 95% half-width of at most HalfWidth points;
    /// it stops when settled and every such setting whose paired baseline it is (a stronger teacher compared with the
    /// default no-kd) has stopped too, since their pairs need its no-kd. The questions across settings (setting change,
    /// K=2 vs K=3) do not enter: they get the pairs their settings get. <paramref name="dataName"/> gives a grid data
    /// set's name in the results (null while it has none). Empty without a rule.
    /// </summary>
    public static IReadOnlyList<SettingPrecision> PrecisionRows(IReadOnlyList<StudyEffect> effects, GridSpec spec, Func<string, string?> dataName)
    {
        var list = new List<SettingPrecision>();
        if (spec.Stop is not { } rule) return list;
        foreach (var d in spec.Datasets)
        {
            if (dataName(d) is not { } name) continue;
            var core = spec.Settings.Where(st => st.MaxPairs is null && (st.Families is not { } f || f.Contains(KitConfig.FamilyOf(d)))).ToList();
            SettingPrecision Row(GridSetting st)
            {
                var rows = effects.Where(e => e.Setting == name && !e.Teacher && e.Condition == Protocols.Average && OwnQuestions.Contains(e.Question)
                                              && SettingOf(e.Comparison) == st.Name).ToList();
                bool everyStudent = (st.Variants ?? spec.Variants).Where(v => v != "no-kd")
                    .All(v => rows.Any(e => e.Question == VersusNoKd && e.Comparison.StartsWith(Join(st.Name, v) + " − ", StringComparison.Ordinal)));
                if (rows.Count == 0) return new(d, st.Name, 0, double.NaN, rule.MinPairs, false, false);
                int needed = Math.Max(rule.MinPairs, rows.Max(e => e.SdDiff > 0 ? PairedStatistics.PairsForHalfWidth(e.SdDiff, rule.HalfWidth) : 2));
                bool settled = everyStudent && rows.All(e => e.N >= rule.MinPairs && e.HalfWidth <= rule.HalfWidth);
                return new(d, st.Name, rows.Min(e => e.N), rows.Max(e => e.HalfWidth), needed, settled, false) { Detectable = rows.Max(e => e.Detectable) };
            }
            string BaselineOf(GridSetting st) => (st.Variants ?? spec.Variants).Contains("no-kd") ? st.Name : ReferenceOf(st.Name, spec);
            var rowOf = core.ToDictionary(st => st.Name, Row);
            IEnumerable<GridSetting> Users(GridSetting st) => core.Where(t => t != st && BaselineOf(t) == st.Name);
            bool Stops(GridSetting st) => rowOf[st.Name].Settled && Users(st).All(Stops);
            int Left(GridSetting st) => Users(st).Where(t => !Stops(t)).Select(Left)   // a setting's pairs need its baseline's no-kd
                .Append(rowOf[st.Name].Settled ? (Stops(st) ? 0 : int.MaxValue) : Math.Max(1, rowOf[st.Name].PairsNeeded - rowOf[st.Name].Pairs)).Min();
            list.AddRange(core.Select(st => rowOf[st.Name] with { Stopped = Stops(st), PairsLeft = Left(st) }));
        }
        return list;
    }

    /// <summary>The (setting, data set) groups the precision rule stops (<see cref="PrecisionRows"/>), each with why.</summary>
    public static IReadOnlyDictionary<(string Setting, string Dataset), string> Stops(IReadOnlyList<StudyEffect> effects, GridSpec spec, Func<string, string?> dataName) =>
        PrecisionRows(effects, spec, dataName).Where(r => r.Stopped).ToDictionary(r => (r.Setting, r.Dataset), r => r.Reason);

    /// <summary><see cref="PrecisionRows"/> on a study folder's finished pairs, pooled (<see cref="Results"/>); empty without a rule.</summary>
    public static IReadOnlyList<SettingPrecision> PrecisionOf(GridSpec spec, string gridDir)
    {
        if (spec.Stop is null) return Array.Empty<SettingPrecision>();
        var results = Results(gridDir);
        return PrecisionRows(Analyse(results, spec: spec).Effects, spec, DataNames(results, gridDir));
    }

    /// <summary>A grid data set's name in its results: a synthetic set is named as in the grid; a file by its loader, as
    /// its groups' finished results record it. Null while it has no results.</summary>
    public static Func<string, string?> DataNames(IReadOnlyList<ResultRow> results, string? gridDir)
    {
        var names = results.Select(r => r.Dataset.Split('@')[0]).ToHashSet();
        return d =>
        {
            if (Data.DatasetRegistry.IsSynthetic(d) || gridDir == null) return names.Contains(d) ? d : null;
            var runs = Path.Combine(gridDir, "runs");
            var file = !Directory.Exists(runs) ? null : Directory.EnumerateDirectories(runs)
                .SelectMany(setting => Directory.EnumerateDirectories(setting, $"{GridSpec.SafeName(d)}@*"))
                .SelectMany(g => Directory.EnumerateFiles(g, "results.csv", SearchOption.AllDirectories)).FirstOrDefault();
            return file is null ? null : ResultsCsv.Read(file).FirstOrDefault()?.Dataset.Split('@')[0];
        };
    }

    /// <summary>The precision rows as a table (report/tables/study_precision.*, the README): per data set and setting, the
    /// fewest pairs and the widest half-width of its own contrasts, the detectable effect, the pairs the rule asks for at
    /// today's spread, and whether the setting has stopped; given <paramref name="pairsHeld"/> (per data set), whether
    /// that is more than the grids hold.</summary>
    public static Table PrecisionTable(IReadOnlyList<SettingPrecision> rows, StopRule rule, Func<string, int>? pairsHeld = null) => new("study_precision",
        $"The precision rule per setting: its own contrasts on Avg (vs no-kd, corrkd vs kd, each term) against ±{NumberText.Plain(rule.HalfWidth)} over at least {rule.MinPairs} pairs",
        ["Data set", "Setting", "Pairs", "Widest ± (95%)", "Detectable (80%)", "Pairs for the rule", "State"],
        [new TableBlock("", rows.Select(r => (IReadOnlyList<string>)
        [
            r.Dataset, r.Setting, r.Pairs.ToString(System.Globalization.CultureInfo.InvariantCulture), double.IsNaN(r.Widest) ? "—" : NumberText.Plain(r.Widest),
            double.IsNaN(r.Detectable) ? "—" : NumberText.Plain(r.Detectable), r.PairsNeeded.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Stopped ? "stopped" : r.Settled ? "settled; trains only its no-kd, for a setting compared with it"
                : pairsHeld?.Invoke(r.Dataset) is int held && r.PairsNeeded > held ? $"goes on; needs more than the {held} pairs the grids hold" : "goes on",
        ]).ToList())],
        ["Pairs: the fewest over the setting's rows. Detectable: the largest over its rows of the smallest true difference " +
         "their pairs detect with power 0.8 at alpha 0.05 (what a setting that stops short of the rule can rule out). " +
         "Pairs for the rule: what the rule needs at the spread seen so far " +
         "(the largest over the rows of the pairs that bring the row's interval within the half-width, and at least the minimum). " +
         "Settings that go on take pairs in the order of the pairs they still need, fewest first."]);

    /// <summary>
    /// Result rows with the inter Avg added and data seeds pooled: dataset "synthetic-mosi@1" becomes
    /// "synthetic-mosi" and seed s of data seed d becomes seed d * 1000 + s, so every (data seed, seed) is one pair.
    /// </summary>
    public static IReadOnlyList<ResultRow> Pooled(IReadOnlyList<ResultRow> results) =>
        ResultRows.WithInterAverage(results).Select(r =>
        {
            int at = r.Dataset.LastIndexOf('@');
            int ds = at >= 0 && int.TryParse(r.Dataset[(at + 1)..], out var d) ? d : 0;
            return r with { Dataset = at >= 0 ? r.Dataset[..at] : r.Dataset, Seed = ds * 1000 + r.Seed };
        }).ToList();

    /// <summary>
    /// Each variant's own inter-modality scores per data set, mean ± sd over the (data seed, seed) pairs: beside
    /// the paired effects, the sd shows how stable each variant is across seeds.
    /// </summary>
    public static IReadOnlyList<Table> ScoreTables(IReadOnlyList<ResultRow> results, string? metric = null)
    {
        var pooled = Pooled(results).Where(r => r.Protocol == Protocols.Inter).ToList();
        return pooled.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal).Select(d =>
        {
            var m = metric ?? MetricOf(results.Where(r => r.Dataset.Split('@')[0] == d));
            var agg = Aggregation.Summarize(pooled.Where(r => r.Dataset == d));
            var order = new TableOptions { Variants = Report.VariantOrder(agg.Select(a => a.Variant)) };
            return Tables.InterModality(agg, d, m, options: order) with { Name = $"study_scores_{d}" };
        }).ToList();
    }

    /// <summary>
    /// The effects as a table, one block per question (<see cref="Questions"/>): data set, comparison, condition, pairs,
    /// mean difference, 95% interval (low, high, half-width), smallest detectable effect, raw and Holm p. Numbers
    /// in points with two decimals, so the CSV is tidy.
    /// </summary>
    public static Table EffectsTable(IReadOnlyList<StudyEffect> effects) => new("study_effects",
        "Paired differences over (data seed, seed) pairs, points (inter-modality Avg and complete input)",
        ["Data set", "Comparison", "Condition", "n", "Mean diff", "CI low", "CI high", "± (95%)", "Detectable (80%)", "p (t)", "p (Holm)"],
        Questions.Select(q => new TableBlock(q, effects.Where(e => e.Question == q).Select(e => (IReadOnlyList<string>)
        [
            e.Setting, e.Comparison, e.Condition == Protocols.Average ? "Avg" : e.Condition, e.N.ToString(System.Globalization.CultureInfo.InvariantCulture),
            NumberText.Signed(e.MeanDiff), NumberText.Plain(e.CiLow), NumberText.Plain(e.CiHigh), NumberText.Plain(e.HalfWidth),
            NumberText.Plain(e.Detectable), e.P.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), e.PHolm.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
        ]).ToList())).Where(b => b.Rows.Count > 0).ToList(),
        ["Two-sided paired t-test on per-pair differences (data seeds pooled); Holm-Bonferroni over every row. " +
         "Detectable: the smallest true difference these pairs detect with power 0.8 at alpha 0.05, given their spread."]);

    /// <summary>
    /// The answer in plain words: one sentence per question, each comparison with its mean and 95% interval on Avg,
    /// and what the interval says ("higher" when it lies above 0, "lower" below, either with a note when Holm's correction
    /// over every row does not keep it; else "not shown" with the smallest effect the pairs could detect). Computed from
    /// the effects, so it says whatever the results say. Given the spec, only the settings that keep every pair (not the
    /// OPEN-choice settings) enter the sentences. Each sentence names first the comparisons whose interval is within the
    /// precision rule's half-width (±1 without a rule), then the wider ones.
    /// </summary>
    public static IReadOnlyList<string> Answer(IReadOnlyList<StudyEffect> effects, GridSpec? spec = null)
    {
        var avg = effects.Where(e => e.Condition == Protocols.Average && !e.Teacher && IsCore(e.Comparison, spec)).ToList();
        // An interval clear of 0 is one comparison of a family of many: the sentence says when Holm's correction over every
        // row does not keep it.
        static string Verdict(StudyEffect e) => e.CiLow > 0 || e.CiHigh < 0
            ? (e.CiLow > 0 ? "higher" : "lower") + (e.PHolm < 0.05 ? "" : $"; not after Holm's correction over every row, p {e.PHolm.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}")
            : $"not shown, would detect {NumberText.Plain(e.Detectable)}";
        static string One(StudyEffect e, string label) =>
            $"{label} {NumberText.Signed(e.MeanDiff)} [{NumberText.Plain(e.CiLow)}, {NumberText.Plain(e.CiHigh)}] ({e.N} pairs, {Verdict(e)})";
        static string Where(StudyEffect e, string a) => $"{e.Setting}{(Split(a).Setting is var st && st != "default" ? " " + st : "")}";
        // The rows as precise as the study's target first, so the sentence leads with what it can decide.
        double target = spec?.Stop?.HalfWidth ?? Precision.HalfWidth;
        string Sentence(string question, IEnumerable<StudyEffect> rows, Func<StudyEffect, string> label)
        {
            var list = rows.ToList();
            if (list.Count == 0) return $"**{question}** Not yet measured: no finished pairs for this comparison.";
            var parts = list.GroupBy(e => e.HalfWidth <= target).OrderBy(g => g.Key ? 0 : 1).Select(g =>
                $"{(g.Key ? "Within" : "Wider than")} ±{NumberText.Plain(target)}: {string.Join("; ", g.Select(e => One(e, label(e))))}.");
            return $"**{question}** {string.Join(" ", parts)}";
        }
        string A(StudyEffect e) => e.Comparison[..e.Comparison.IndexOf(" − ", StringComparison.Ordinal)];
        return new[]
        {
            Sentence("Does corrkd beat no-kd?", avg.Where(e => e.Question == VersusNoKd && Split(A(e)).Variant == "corrkd"), e => Where(e, A(e))),
            Sentence("Does corrkd beat kd?", avg.Where(e => e.Question == CorrkdVersusKd), e => Where(e, A(e))),
            Sentence("Does each term matter (corrkd minus the variant without it)?", avg.Where(e => e.Question == Terms && !e.Comparison.Contains('(')),
                e => $"{Where(e, A(e))} {Split(e.Comparison[(e.Comparison.IndexOf(" − ", StringComparison.Ordinal) + 3)..]).Variant}"),
            Sentence("Does a stronger teacher change it (corrkd with the stronger teacher minus corrkd)?",
                avg.Where(e => e.Question == SettingChange && A(e).Contains("teacher-strong", StringComparison.Ordinal) && Split(A(e)).Variant == "corrkd"), e => Where(e, A(e))),
            Sentence("Does the gain over no-kd differ between K=3 and K=2 (K=3 gain minus K=2 gain)?", avg.Where(e => e.Question == ClassCount),
                e => $"{e.Setting}{(ReferenceOf(Split(A(e).Trim('(')).Setting, spec) is var r && r != "default" ? " " + r : "")} {Split(A(e).Trim('(')).Variant}"),
            Sentence($"Does selecting on the validation headline ({SelectMetric}) stop no-kd's collapses, and change the gains (its no-kd minus the default no-kd; its gain minus the default gain)?",
                avg.Where(e => e.Question == SettingChange && SettingOf(e.Comparison) == SelectMetric && (A(e) == Join(SelectMetric, "no-kd") || A(e).StartsWith('('))),
                e => A(e).StartsWith('(') ? $"{e.Setting} {Split(A(e).Trim('(')).Variant} gain" : $"{e.Setting} no-kd"),
        };
    }

    /// <summary>
    /// The file in a study folder naming, one per line and relative to it, other study folders whose finished pairs join
    /// its analysis (a line may end in a "# comment"): later generations of the same design on other seeds, e.g. one
    /// made with the attention kernel after the study's own configs had fixed the libtorch-ops attention. Pairs are
    /// independent replicates, and the two attentions are the same math with different rounding, as two CPU classes are.
    /// </summary>
    public const string PoolFile = "POOLED-WITH";

    /// <summary>A study folder and the folders its <see cref="PoolFile"/> names (none without one), in that order.</summary>
    public static IReadOnlyList<string> Folders(string studyDir)
    {
        var file = Path.Combine(studyDir, PoolFile);
        var folders = new List<string> { studyDir };
        if (!File.Exists(file)) return folders;
        foreach (var line in IO.ListFile.Read(file))
        {
            var dir = Path.GetFullPath(Path.Combine(studyDir, line));
            if (!File.Exists(Path.Combine(dir, "grid.json")))
                throw new DirectoryNotFoundException($"{file}: '{line}' is not a study folder (no {Path.Combine(dir, "grid.json")})");
            folders.Add(dir);
        }
        return folders;
    }

    /// <summary>Every finished result of a study folder and of the folders it is pooled with (<see cref="Folders"/>).
    /// A (data set, seed) pair is the unit of analysis, so one found in two of them is an error that names both.</summary>
    public static List<ResultRow> Results(string studyDir)
    {
        var owner = new Dictionary<(string Dataset, int Seed), string>();
        var all = new List<ResultRow>();
        foreach (var dir in Folders(studyDir))
        {
            var rows = GridRunner.CollectResults(new[] { dir });
            foreach (var pair in rows.Select(r => (r.Dataset, r.Seed)).Distinct())
                if (!owner.TryAdd(pair, dir))
                    throw new InvalidDataException($"pair {pair.Dataset} seed {pair.Seed} is in both {owner[pair]} and {dir}: " +
                                                   $"study folders pooled by {Path.Combine(studyDir, PoolFile)} must train different seeds");
            all.AddRange(rows);
        }
        return all;
    }

    /// <summary>
    /// How far a study folder has got: finished trainings per setting, wall time (<see cref="GridRunner.Timing"/>)
    /// and training time summed over runs; then the same for each folder it is pooled with (<see cref="Folders"/>),
    /// with its seeds and attention. A report on an unfinished study says so in its first line.
    /// </summary>
    public static string StatusText(GridSpec spec, string gridDir, bool withWallTime = true) =>
        FolderStatus(spec, gridDir, withWallTime, first: true) + string.Concat(Folders(gridDir).Skip(1).Select(d =>
        {
            var other = GridSpec.Read(d);
            return $" Pooled with `{Path.GetFileName(d)}` (seeds {SeedList(other.Seeds)}, {AttentionOf(d)}; " +
                   $"this folder: seeds {SeedList(spec.Seeds)}, {AttentionOf(gridDir)}): {FolderStatus(other, d, withWallTime, first: false)}";
        })) + StopNote(spec, gridDir);

    /// <summary>What the precision rule (<see cref="GridSpec.Stop"/>) has stopped, for <see cref="StatusText"/>; "" without one.</summary>
    private static string StopNote(GridSpec spec, string gridDir)
    {
        if (spec.Stop is not { } rule) return "";
        var rows = PrecisionOf(spec, gridDir);
        static string List(IEnumerable<SettingPrecision> rs) => string.Join("; ", rs.Select(r => $"{r.Dataset} {r.Setting} ({r.Reason})"));
        var stopped = rows.Where(r => r.Stopped).ToList();
        var feeding = rows.Where(r => r.Settled && !r.Stopped).ToList();
        return $" Precision rule: a setting takes no new pair on a data set once every Avg interval of its own contrasts (vs no-kd, corrkd vs kd, " +
               $"each term) is within ±{NumberText.Plain(rule.HalfWidth)} over at least {rule.MinPairs} pairs; stopped so far: " +
               (stopped.Count == 0 ? "none" : List(stopped)) +
               (feeding.Count == 0 ? "" : $"; settled, training only the no-kd another setting compares with: {List(feeding)}") +
               "; the others take pairs fewest-needed first.";
    }

    /// <summary>"0–9" for a run of consecutive seeds, else "0,2,5".</summary>
    private static string SeedList(int[] seeds) =>
        seeds.Length > 2 && seeds.Zip(seeds.Skip(1)).All(p => p.Second == p.First + 1) ? $"{seeds[0]}–{seeds[^1]}" : string.Join(",", seeds);

    /// <summary>"attention kernel", "libtorch-ops attention" or "mixed attention", from a grid folder's configs ("attention
    /// not recorded" without them).</summary>
    public static string AttentionOf(string gridDir)
    {
        var configs = Path.Combine(gridDir, "configs");
        if (!Directory.Exists(configs)) return "attention not recorded";
        var kinds = Directory.EnumerateFiles(configs, "*.json")
            .Select(f => KitConfig.Load(f).Model.AttentionKernel).Distinct().ToList();
        return kinds.Count != 1 ? "mixed attention" : kinds[0] ? "attention kernel" : "libtorch-ops attention";
    }

    /// <summary>One folder's part of <see cref="StatusText"/>; only the <paramref name="first"/> says what an unfinished study means for the effects.</summary>
    private static string FolderStatus(GridSpec spec, string gridDir, bool withWallTime, bool first)
    {
        var status = GridRunner.Status(spec, gridDir);
        var (wall, training) = GridRunner.Timing(gridDir);
        int done = status.Sum(s => s.Done), total = status.Sum(s => s.Total);
        return $"Finished trainings: {done} of {total}{(done < total ? first ? " (UNFINISHED: effects below use the finished pairs only)" : " (unfinished)" : "")}; " +
               string.Join(", ", status.Select(s => $"{s.Setting} {s.Done}/{s.Total}")) + ". " +
               (withWallTime ? $"Wall time {(int)wall.TotalHours}:{wall:mm\\:ss} while training (the union of the runs' spans: pauses between sittings do not count); " : "") +
               $"{(int)training.TotalHours}:{training:mm\\:ss} of training epochs summed over runs. Trained on: {TrainedOn(gridDir)}.";
    }

    /// <summary>Finished trainings per CPU class (run.json's environment.numerics.cpu_class; a CPU class changes a run's
    /// bits, and a study over several sittings may span machines), e.g. "amd-avx2 40, CPU class not recorded 86".</summary>
    public static string TrainedOn(string gridDir) =>
        string.Join(", ", new[] { "teachers", "runs" }.Select(d => Path.Combine(gridDir, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "results.csv", SearchOption.AllDirectories))
            .Select(f => Path.Combine(Path.GetDirectoryName(f)!, "run.json")).Where(File.Exists)
            .Select(f => ReferenceResults.RecordedClass(f) is var c && c == ReferenceResults.NotRecorded ? "CPU class not recorded" : c)
            .GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    /// <summary>The precision table as Markdown after a blank line, also written into <paramref name="tablesDir"/> when
    /// given; "" when the spec has no precision rule.</summary>
    public static string PrecisionMarkdown(IReadOnlyList<StudyEffect> effects, GridSpec? spec, IReadOnlyList<ResultRow> results, string? gridDir,
        string? tablesDir = null)
    {
        if (PrecisionTable(effects, spec, results, gridDir) is not { } table) return "";
        if (tablesDir != null) table.Write(tablesDir);
        return "\n" + table.ToMarkdown();
    }

    /// <summary>The precision table of a study's results (<see cref="PrecisionRows"/>); null when the spec has no precision rule.</summary>
    public static Table? PrecisionTable(IReadOnlyList<StudyEffect> effects, GridSpec? spec, IReadOnlyList<ResultRow> results, string? gridDir) =>
        spec?.Stop is { } rule ? PrecisionTable(PrecisionRows(effects, spec, DataNames(results, gridDir)), rule,
            gridDir == null ? null : d => PairsHeld(gridDir, d)) : null;

    /// <summary>The (data seed, seed) pairs a study folder and the folders pooled with it (<see cref="Folders"/>) hold for
    /// a grid data set, trained or not: what the study could give a setting at most without growing its grids.</summary>
    public static int PairsHeld(string gridDir, string dataset) =>
        Folders(gridDir).Select(GridSpec.Read).Where(s => s.Datasets.Contains(dataset))
            .Sum(s => Data.DatasetRegistry.IsSynthetic(dataset) ? s.Pairs().Count : s.Seeds.Length);

    /// <summary>Writes the effect table (Markdown/CSV/LaTeX: report/tables/study_effects.*), the forest plots (<see cref="ForestPanels"/>), each
    /// variant's scores, the power note, the answer and, given the grid folder, the collapse tables (report/study.md),
    /// headed by <paramref name="header"/> (e.g. <see cref="StatusText"/>).</summary>
    public static string WriteReport(IReadOnlyList<ResultRow> results, string outDir, bool png, string header = "", GridSpec? spec = null,
        string? gridDir = null)
    {
        var (effects, comparisons) = Analyse(results, spec: spec);
        var table = EffectsTable(effects);
        table.Write(Path.Combine(outDir, "tables"));
        // A study's first sitting may not have two whole pairs yet: the report then says so and still shows the scores
        // and the collapse evidence.
        // The forests' rows are the core ones (CoreRows); every row is in the effects table.
        foreach (var (title, stem, rows) in ForestPanels(comparisons, spec))
            Charts.SaveWithPng(Charts.Forest(rows, title), Path.Combine(outDir, "charts", stem + ".html"), png);
        var note = PowerNote(effects);
        var scores = ScoreTables(results);
        foreach (var t in scores) t.Write(Path.Combine(outDir, "tables"));
        var md = (header.Length > 0 ? header + "\n\n" : "") + string.Concat(Answer(effects, spec).Select(a => "- " + a + "\n")) + "\n" +
                 (comparisons.Count > 0 ? table.ToMarkdown() : NoComparisons + "\n") +
                 "\n" + note + "\n" + PrecisionMarkdown(effects, spec, results, gridDir, Path.Combine(outDir, "tables")) +
                 string.Concat(scores.Select(t => "\n" + t.ToMarkdown()));
        if (gridDir != null && Collapses.Read(gridDir) is { Count: > 0 } collapses)
        {
            // Why students collapse on {a}/{v}: the evidence from every student's per-set validation history.
            foreach (var t in new[] { Collapses.Summary(collapses), Collapses.Selected(collapses) })
            {
                t.Write(Path.Combine(outDir, "tables"));
                md += "\n" + (t.AllRows.Any() ? t.ToMarkdown() : $"**{t.Caption}:** none.\n");
            }
        }
        IO.AtomicFile.WriteAllText(Path.Combine(outDir, "study.md"), md);
        return md;
    }
}
