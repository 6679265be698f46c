using System.Globalization;
using System.Text.Json.Nodes;
using CorrKD.Reporting;

namespace CorrKD.Experiments;

/// <summary>
/// One student run's collapse record. A set "collapses" at an epoch when the student gives one answer for nearly every
/// validation input of that set (history column valid_top_share_SET at least <see cref="Collapses.Share"/>): the
/// constant predictor. Epochs count from 1; 0 = never.
/// <see cref="MetricEpoch"/>: the epoch the other selection rule ("metric": the highest mean validation headline over
/// the seven sets, with the same early-stopping patience) picks on the same trajectory, replayed from the history — the
/// trajectory does not depend on the rule until one of them stops; <see cref="MetricTruncated"/> when the history ends
/// before that rule would have stopped (it might have picked a later epoch).
/// </summary>
public sealed record CollapseRow(string Dataset, int DataSeed, int Seed, string Setting, string Variant, int EpochsRun, int BestEpoch,
    int FirstCollapsed, int LastCollapsed, int CollapsedEpochs, bool CollapsedAtBest, double ValidAvAtBest, double BestValidAv, int BestValidAvEpoch,
    int MetricEpoch, bool CollapsedAtMetricEpoch, bool MetricTruncated, string RunDir)
{
    /// <summary>Collapsed at some epoch and recovered later: the collapse is transient.</summary>
    public bool Recovered => LastCollapsed > 0 && LastCollapsed < EpochsRun;
    public string Label => $"{(Setting == "default" ? "" : Setting + ":")}{Variant}";
}

/// <summary>
/// Why students end with audio- and vision-only predictions at the constant level: reads every student's history
/// (per-set validation loss, headline and top-class share, logged since the study issue) and reports, per run, when
/// its {a} or {v} predictions were constant, whether the selected epoch is one of them, and the best {a}/{v} headline it
/// ever reached on validation (so "the selection rule picked a collapsed epoch although a better one existed" can be
/// told from "the run never learned {a}/{v} before it stopped").
/// </summary>
public static class Collapses
{
    /// <summary>Top-class share from which a set's predictions count as constant.</summary>
    public const double Share = 0.98;
    private static readonly string[] AudioVision = { "a", "v" };

    /// <summary>Every finished student run with per-set validation columns under a grid folder and the study folders it
    /// is pooled with (<see cref="Study.Folders"/>), in path order within each.</summary>
    public static IReadOnlyList<CollapseRow> Read(string gridDir)
    {
        var rows = new List<CollapseRow>();
        foreach (var (rel, dir) in Study.Folders(gridDir).SelectMany(g => ReferenceCheck.Runs(g).OrderBy(kv => kv.Key, StringComparer.Ordinal)))
        {
            var parts = rel.Split('/');   // runs/SETTING/DATASET@DS/sSEED/VARIANT
            if (parts.Length != 5 || parts[0] != "runs") continue;
            if (!File.Exists(Path.Combine(dir, "history.csv"))) continue;
            var h = HistoryCsv.Read(dir);
            if (!h.ContainsKey("valid_top_share_a")) continue;   // made before the per-set columns existed
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!;
            int best = (int)metrics["best_epoch"]!, epochs = h["epoch"].Length;
            bool Collapsed(int i) => AudioVision.Any(s => h[$"valid_top_share_{s}"][i] >= Share);
            double Av(int i) => AudioVision.Average(s => h[$"valid_headline_{s}"][i]);
            var collapsed = Enumerable.Range(0, epochs).Where(Collapsed).Select(i => (int)h["epoch"][i]).ToList();
            int bestAv = Enumerable.Range(0, epochs).MaxBy(Av);
            var (metricEpoch, truncated) = Replay(h["valid_headline"], EarlyStopPatience(dir));
            int at = parts[2].LastIndexOf('@');
            rows.Add(new CollapseRow(parts[2][..at], int.Parse(parts[2][(at + 1)..], CultureInfo.InvariantCulture), int.Parse(parts[3][1..], CultureInfo.InvariantCulture),
                parts[1], parts[4], epochs, best, collapsed.FirstOrDefault(), collapsed.LastOrDefault(), collapsed.Count,
                collapsed.Contains(best), 100 * Av(best - 1), 100 * Av(bestAv), (int)h["epoch"][bestAv],
                metricEpoch, collapsed.Contains(metricEpoch), truncated, dir));
        }
        return rows;
    }

    /// <summary>
    /// Best-on-validation selection with early stopping replayed over per-epoch scores (higher is better), as the
    /// Trainer does it: the epoch it selects, and whether the scores end before it would have stopped.
    /// </summary>
    public static (int Epoch, bool Truncated) Replay(IReadOnlyList<double> scores, int patience)
    {
        double best = double.NegativeInfinity;
        int bestEpoch = 0, since = 0;
        for (int e = 1; e <= scores.Count; e++)
        {
            if (patience > 0 && since >= patience) return (bestEpoch, false);
            if (scores[e - 1] > best) { best = scores[e - 1]; bestEpoch = e; since = 0; } else since++;
        }
        return (bestEpoch, patience > 0 && since < patience);   // without early stopping both rules run every epoch
    }

    private static int EarlyStopPatience(string runDir)
    {
        var cfg = Path.Combine(runDir, "config.json");
        return File.Exists(cfg) ? (int?)JsonNode.Parse(File.ReadAllText(cfg))?["student"]?["early_stop_patience"] ?? 0 : 0;
    }

    /// <summary>
    /// Per data set and student (setting:variant): runs, runs whose {a} or {v} predictions were constant at some epoch,
    /// the median last such epoch, runs still constant at the selected epoch, and how many of those reached a better
    /// {a}/{v} validation headline at another epoch (a selection failure) or stopped before any recovery.
    /// </summary>
    public static Table Summary(IReadOnlyList<CollapseRow> rows) => new("study_collapses",
        $"Students whose audio- or vision-only predictions were constant (validation top-class share ≥ {Share:F2})",
        ["Data set", "Student", "Runs", "Ever constant", "Median last constant epoch", "Median best epoch", "Constant at the selected epoch", "… of which never recovered",
         "Constant at the metric rule's epoch"],
        rows.GroupBy(r => r.Dataset).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new TableBlock(g.Key,
            g.GroupBy(r => r.Label).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => (IReadOnlyList<string>)
            [
                g.Key, x.Key, x.Count().ToString(CultureInfo.InvariantCulture), x.Count(r => r.FirstCollapsed > 0).ToString(CultureInfo.InvariantCulture),
                Median(x.Where(r => r.FirstCollapsed > 0).Select(r => (double)r.LastCollapsed)), Median(x.Select(r => (double)r.BestEpoch)),
                x.Count(r => r.CollapsedAtBest).ToString(CultureInfo.InvariantCulture),
                x.Count(r => r.CollapsedAtBest && !r.Recovered).ToString(CultureInfo.InvariantCulture),
                x.Count(r => r.CollapsedAtMetricEpoch).ToString(CultureInfo.InvariantCulture),
            ]).ToList())).ToList(),
        ["From each student's history.csv (valid_top_share_a, valid_top_share_v); a run counts as constant at an epoch when " +
         "its {a} or {v} predictions are; \"never recovered\": still constant at its last epoch; the metric rule's epoch: replayed " +
         "from the same history (highest mean validation headline over the seven sets, same patience)."]);

    private static string Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? "-" : (v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2).ToString("0.#", CultureInfo.InvariantCulture);
    }

    /// <summary>The runs constant at their selected epoch, one row each, with what the selection saw.</summary>
    public static Table Selected(IReadOnlyList<CollapseRow> rows) => new("study_collapsed_runs",
        "Runs whose {a} or {v} predictions were constant at the selected epoch",
        ["Data set", "Pair", "Student", "Epochs run", "Selected epoch", "Constant epochs", "Last constant", "{a},{v} headline at selection", "Best {a},{v} headline (epoch)",
         "Metric rule's epoch"],
        [new TableBlock("", rows.Where(r => r.CollapsedAtBest).Select(r => (IReadOnlyList<string>)
        [
            r.Dataset, $"d{r.DataSeed} s{r.Seed}", r.Label, r.EpochsRun.ToString(CultureInfo.InvariantCulture), r.BestEpoch.ToString(CultureInfo.InvariantCulture),
            r.CollapsedEpochs.ToString(CultureInfo.InvariantCulture), r.LastCollapsed.ToString(CultureInfo.InvariantCulture),
            NumberText.Plain(r.ValidAvAtBest), $"{NumberText.Plain(r.BestValidAv)} ({r.BestValidAvEpoch})",
            $"{r.MetricEpoch}{(r.CollapsedAtMetricEpoch ? ", constant" : "")}{(r.MetricTruncated ? " (or later)" : "")}",
        ]).ToList())],
        ["{a},{v} headline: the mean of the audio-only and vision-only validation headlines, %."]);
}
