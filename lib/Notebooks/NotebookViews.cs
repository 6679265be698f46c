using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CorrKD.Experiments;
using CorrKD.Reporting;

namespace CorrKD.Notebooks;

/// <summary>Settings, grids and verdicts as short notebook outputs: tables and one-line summaries, never JSON dumps or logs.</summary>
public static class NotebookViews
{
    /// <summary>
    /// Settings objects (e.g. a config's model and teacher sections) as one table: a row per leaf value,
    /// named section.key, with nested objects flattened and arrays joined.
    /// </summary>
    public static HtmlView Settings(params (string Section, object Value)[] sections)
    {
        var rows = new List<(string Key, string Value)>();
        foreach (var (section, value) in sections)
            Flatten(section, JsonSerializer.SerializeToNode(value, value.GetType(), Training.KitConfig.Json), rows);
        return TwoColumns(rows, "setting", "value");
    }

    /// <summary>A grid specification as a table: data sets, seeds, variants, settings, schedule, protocols.</summary>
    public static HtmlView Grid(GridSpec spec) => TwoColumns(new List<(string, string)>
    {
        ("data sets", string.Join(", ", spec.Datasets)),
        ("data seeds", string.Join(", ", spec.DataSeeds)),
        ("training seeds", string.Join(", ", spec.Seeds)),
        ("student variants", string.Join(", ", spec.Variants)),
        ("settings", string.Join("; ", spec.Settings.Select(s => s.Patch.Count == 0 ? s.Name : $"{s.Name} ({s.Patch.ToJsonString()})"))),
        ("epochs", spec.Epochs?.ToString(CultureInfo.InvariantCulture) ?? "the family config's schedule (early stopping)"),
        ("intra-modality evaluation", spec.EvaluateIntra ? "yes" : "no"),
        ("trainings (teachers + students)", spec.Groups().Count(g => g.Setting.Name == spec.Settings[0].Name) + " teachers, " +
            spec.Groups().Sum(g => (g.Setting.Variants ?? spec.Variants).Length) + " students"),
    }, "grid", "value");

    /// <summary>The ablation's verdict in words, computed from the paired comparisons (Holm-adjusted, alpha 0.05).</summary>
    public static HtmlView AblationVerdict(IReadOnlyList<PairedComparison> comparisons)
    {
        var significant = comparisons.Where(c => c.PHolm < 0.05).ToList();
        var lines = new List<string>
        {
            $"{comparisons.Count} comparisons over {comparisons.Select(c => c.Result.N).DefaultIfEmpty(0).Max()} seeds (Holm-adjusted, alpha 0.05).",
            significant.Count == 0
                ? "No difference between corrkd and another variant is significant after Holm correction."
                : "Significant after Holm correction: " + string.Join("; ", significant.Select(c =>
                    $"corrkd {(c.Result.MeanDiff > 0 ? "above" : "below")} {c.VariantB} on {c.Condition} by {100 * Math.Abs(c.Result.MeanDiff):F2} points")) + ".",
        };
        return HtmlView.Pre(string.Join("\n", lines));
    }

    /// <summary>The data set a results notebook analyses: the first sentiment (MOSI-family) data set, else the first.</summary>
    public static string PickDataset(IReadOnlyList<ResultRow> rows)
    {
        var all = rows.Select(r => r.Dataset).Distinct().Order(StringComparer.Ordinal).ToList();
        if (all.Count == 0) throw new InvalidOperationException("no results to analyse");
        return all.FirstOrDefault(d => !rows.Any(r => r.Dataset == d && r.Emotion.Length > 0)) ?? all[0];
    }

    /// <summary>
    /// The rows of one data set family, all data seeds pooled (a study pairs seeds across data seeds): the family of
    /// <see cref="PickDataset"/>, with its headline metric.
    /// </summary>
    public static (IReadOnlyList<ResultRow> Rows, string Name, string Metric) OneDataSet(IReadOnlyList<ResultRow> rows)
    {
        var first = PickDataset(rows);
        var name = ConstantPredictor.Split(first).Name;
        return (rows.Where(r => ConstantPredictor.Split(r.Dataset).Name == name).ToList(), name, HeadlineOf(rows, first));
    }

    /// <summary>The headline metric of a data set's rows: f1_avg for emotion data (IEMOCAP), f1_non0 otherwise.</summary>
    public static string HeadlineOf(IReadOnlyList<ResultRow> rows, string dataset) =>
        rows.Any(r => r.Dataset == dataset && r.Emotion.Length > 0) ? "f1_avg" : Tables.SentimentHeadline;

    /// <summary>One line: what was analysed (data set, metric, variants, seeds).</summary>
    public static string Describe(IReadOnlyList<ResultRow> rows, string dataset, string metric, IReadOnlyList<string> variants) =>
        $"data set {dataset}, metric {metric}, variants {string.Join(", ", variants)}, seeds {string.Join(", ", rows.Where(r => r.Dataset == dataset).Select(r => r.Seed).Distinct().Order())}";

    /// <summary>The first <paramref name="max"/> tidy result rows as a table, the columns of results.csv.</summary>
    public static HtmlView ResultRowsTable(IEnumerable<ResultRow> rows, int max = 6) =>
        rows.Take(max).Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["dataset"] = r.Dataset, ["variant"] = r.Variant, ["seed"] = r.Seed, ["protocol"] = r.Protocol, ["condition"] = r.Condition,
            ["emotion"] = r.Emotion, ["metric"] = r.Metric, ["value"] = r.Value,
        }).AsHtml(decimals: 4);

    private static void Flatten(string prefix, JsonNode? node, List<(string, string)> rows)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Flatten(prefix.Length == 0 ? k : $"{prefix}.{k}", v, rows);
                break;
            case JsonArray a:
                rows.Add((prefix, string.Join(", ", a.Select(x => x?.ToJsonString() ?? "null"))));
                break;
            default:
                rows.Add((prefix, node is null ? "null (default)" : node is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : node.ToJsonString()));
                break;
        }
    }

    internal static HtmlView TwoColumns(IEnumerable<(string Key, string Value)> rows, string keyHeader, string valueHeader)
    {
        var sb = new StringBuilder($"<table><thead><tr><th>{WebUtility.HtmlEncode(keyHeader)}</th><th>{WebUtility.HtmlEncode(valueHeader)}</th></tr></thead><tbody>");
        foreach (var (k, v) in rows)
            sb.Append("<tr><td style=\"text-align:left\"><code>").Append(WebUtility.HtmlEncode(k)).Append("</code></td><td style=\"text-align:left\">")
              .Append(WebUtility.HtmlEncode(v)).Append("</td></tr>");
        return new HtmlView(sb.Append("</tbody></table>").ToString());
    }
}

/// <summary>
/// The committed reference results that notebooks 07-09 analyse by default: grid folders under results/ (the layout
/// GridRunner writes, without checkpoints and predictions), found from the repository root.
/// </summary>
public static class ReferenceGrids
{
    /// <summary>results/reproduce (./kit reproduce), results/reproduce-smoke (--smoke), results/study (./kit study).</summary>
    public const string Reproduce = ReferenceResults.Reproduce, ReproduceSmoke = ReferenceResults.ReproduceSmoke, Study = ReferenceResults.Study;

    /// <summary>REPO/results/NAME when it holds a grid (grid.json), else null.</summary>
    public static string? Folder(string name)
    {
        var dir = NotebookSetup.InRepo(ReferenceResults.Folder, name);
        return File.Exists(Path.Combine(dir, "grid.json")) ? dir : null;
    }

    /// <summary>The folder for the reproduce grid of this mode, or an exception that says what to run to make one.</summary>
    public static string ReproduceFolder(bool smoke)
    {
        var name = smoke ? ReproduceSmoke : Reproduce;
        return Folder(name) ?? throw new DirectoryNotFoundException(
            $"results/{name} holds no grid (grid.json). Run `./kit reproduce{(smoke ? " --smoke" : "")} --out results/{name}` at the repository root, or set train = true.");
    }

    /// <summary>One line: which folder, how many finished runs, and whether it carries checkpoints/predictions.</summary>
    public static string Describe(string gridDir)
    {
        var runs = ReferenceCheck.Runs(gridDir).Count;
        bool predictions = Directory.EnumerateFiles(gridDir, "predictions.csv", SearchOption.AllDirectories).Any();
        return $"{Shorten(gridDir)}: {runs} finished runs{(predictions ? "" : " (reference results: no checkpoints or predictions)")}";
    }

    /// <summary>
    /// Trains (or resumes) a grid into <paramref name="gridDir"/> with the run log written to gridDir/notebook-train.log,
    /// and returns one summary line; the details stay in the run folders.
    /// </summary>
    public static string Train(GridSpec spec, string gridDir, int threads)
    {
        Directory.CreateDirectory(gridDir);
        var logPath = Path.Combine(gridDir, "notebook-train.log");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<GridRunner.CellStatus> cells;
        using (var log = new StreamWriter(logPath, append: true)) cells = GridRunner.Run(spec, gridDir, GridRunner.Shard.All, threads, "cpu", progress: null, log: log);
        return $"{cells.Count(c => !c.Skipped)} runs trained, {cells.Count(c => c.Skipped)} done earlier, {clock.Elapsed.TotalSeconds:F0} s; log: {Shorten(logPath)}";
    }

    /// <summary>A path with the repository root written as REPO (and the temp folder as TMP), for outputs.</summary>
    public static string Shorten(string path)
    {
        var root = NotebookSetup.RepoRoot();
        var full = Path.GetFullPath(path);
        if (full.StartsWith(root, StringComparison.Ordinal)) return "REPO" + full[root.Length..];
        var tmp = Path.GetTempPath().TrimEnd('/');
        return full.StartsWith(tmp, StringComparison.Ordinal) ? "TMP" + full[tmp.Length..] : full;
    }
}

/// <summary>Run folders of one seed of a reference grid, by variant, for charts that compare every variant.</summary>
public static class ReferenceRuns
{
    /// <summary>
    /// variant -> run folder (one with history.csv) for training seed <paramref name="seed"/> of the default setting, for the
    /// grid's first sentiment data set (else its first), variants in the kit's order; null when <paramref name="gridDir"/> is null
    /// or holds no such runs.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Variants(string? gridDir, int seed = 0)
    {
        if (gridDir is null) return null;
        var setting = Path.Combine(gridDir, "runs", "default");
        if (!Directory.Exists(setting)) return null;
        var datasets = Directory.GetDirectories(setting).OrderBy(d => d.Contains("iemocap", StringComparison.OrdinalIgnoreCase)).ThenBy(d => d, StringComparer.Ordinal);
        foreach (var ds in datasets)
        {
            var seedDir = Path.Combine(ds, $"s{seed}");
            if (!Directory.Exists(seedDir)) continue;
            var found = Distillation.DistillationVariants.Names
                .Where(v => File.Exists(Path.Combine(seedDir, v, "history.csv")))
                .ToDictionary(v => v, v => Path.Combine(seedDir, v));
            if (found.Count > 0) return found;
        }
        return null;
    }
}

/// <summary>Which grid a results notebook (07-09) analyses, whether it trains it, and the one line that says so.</summary>
public sealed record GridChoice(string Dir, GridSpec Spec, bool Train, bool Temporary, string Note);

public static class GridChoices
{
    /// <summary>
    /// The grid a results notebook uses. <paramref name="gridDir"/> given: that folder (trained or resumed when
    /// <paramref name="train"/>). <paramref name="train"/> without a folder: a new one (temporary in smoke mode) trained with
    /// <c>specFor(smoke)</c>. Otherwise the committed reference results: results/<paramref name="reference"/>, then each of
    /// <paramref name="fallbacks"/> (a folder counts when it holds grid.json and the students' runs/; the note names what
    /// was missing). When none does, the smoke grid (<c>specFor(true)</c>, minutes) is trained into a temporary folder,
    /// and the note says so: the notebook still runs, its numbers mean nothing.
    /// </summary>
    public static GridChoice Choose(string? gridDir, bool train, bool smoke, string notebook, Func<bool, GridSpec> specFor,
        string reference, params string[] fallbacks)
    {
        if (gridDir is not null)
            return new GridChoice(gridDir, File.Exists(Path.Combine(gridDir, "grid.json")) ? GridSpec.Read(gridDir) : specFor(smoke), train, false,
                $"{(train ? "training into" : "analysing")} {ReferenceGrids.Shorten(gridDir)}");
        if (train)
        {
            var dir = NotebookSetup.OutputFolder(notebook, smoke);
            return new GridChoice(dir, specFor(smoke), true, smoke, $"training a new grid into {ReferenceGrids.Shorten(dir)}");
        }
        var missing = new List<string>();
        foreach (var name in new[] { reference }.Concat(fallbacks).Distinct())
        {
            var found = ReferenceGrids.Folder(name);
            if (found is null) { missing.Add($"results/{name}"); continue; }
            if (!Directory.Exists(Path.Combine(found, "runs"))) { missing.Add($"results/{name} (incomplete: no students' runs/)"); continue; }
            var note = $"analysing the committed reference results in results/{name}" + (missing.Count > 0 ? $" ({string.Join(", ", missing)} absent)" : "")
                + (name.EndsWith("-smoke", StringComparison.Ordinal) ? ": tiny data and few epochs, the numbers mean nothing" : "");
            return new GridChoice(found, GridSpec.Read(found), false, false, note);
        }
        var temp = NotebookSetup.OutputFolder(notebook, smoke: true);
        return new GridChoice(temp, specFor(true), true, true,
            $"no complete reference results ({string.Join(", ", missing)}): training the smoke grid into a temporary folder; its numbers mean nothing");
    }
}
