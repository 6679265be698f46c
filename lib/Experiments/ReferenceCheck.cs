using System.Globalization;
using System.Text.Json.Nodes;
using CorrKD.Reporting;

namespace CorrKD.Experiments;

/// <summary>One value that differs between a rerun and its reference (numbers in round-trip form; null = absent).</summary>
public sealed record ValueDifference(string Run, string File, string What, string? Reference, string? Rerun)
{
    /// <summary>Rerun minus reference when both are numbers, else NaN.</summary>
    public double Delta => double.TryParse(Reference, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                           && double.TryParse(Rerun, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ? b - a : double.NaN;
    public override string ToString() =>
        $"{Run} {File} {What}: reference {Reference ?? "absent"}, rerun {Rerun ?? "absent"}{(double.IsFinite(Delta) ? $" (Δ {Delta.ToString("+0.######;-0.######;0", CultureInfo.InvariantCulture)})" : "")}";
}

/// <summary>The outcome of comparing every run of a rerun with a reference folder.</summary>
/// <see cref="NewColumns"/>: history columns the rerun writes and the reference (made by an older build) lacks; they
/// cannot be compared and are named in the verdict, but do not make the rerun different. <see cref="CpuClasses"/>: the
/// two sides' CPU classes when they differ (named in a DIFFERENT verdict as the likely cause). <see cref="Configs"/>: the
/// settings in which the two grids' configs differ (e.g. model.attention), named likewise.
public sealed record CheckResult(string RerunDir, string ReferenceDir, int Runs, long Values, IReadOnlyList<string> MissingRuns,
    IReadOnlyList<string> ExtraRuns, IReadOnlyList<ValueDifference> Differences, IReadOnlyList<string>? NewColumns = null,
    string? CpuClasses = null, string? Configs = null)
{
    public bool Identical => MissingRuns.Count == 0 && ExtraRuns.Count == 0 && Differences.Count == 0;

    /// <summary>One line: identical, or what differs and by how much.</summary>
    public string Verdict()
    {
        var extra = NewColumns is { Count: > 0 } c
            ? $"; not in the reference, so not compared: history columns {string.Join(", ", c.Take(4))}{(c.Count > 4 ? $" and {c.Count - 4} more" : "")}"
            : "";
        if (Identical)
            return $"identical: {RerunDir} matches {ReferenceDir} bit for bit ({Runs} runs, {Values} values: results, test metrics, training histories){extra}";
        var parts = new List<string>();
        if (Differences.Count > 0)
        {
            int runs = Differences.Select(d => d.Run).Distinct().Count();
            var largest = Differences.Where(d => double.IsFinite(d.Delta)).MaxBy(d => Math.Abs(d.Delta));
            parts.Add($"{Differences.Count} of {Values} values differ in {runs} of {Runs} runs" +
                      (largest is null ? "" : $", largest |Δ| {Math.Abs(largest.Delta).ToString("0.######", CultureInfo.InvariantCulture)} ({largest.Run} {largest.File} {largest.What})"));
        }
        if (MissingRuns.Count > 0) parts.Add($"{MissingRuns.Count} reference runs missing from the rerun ({string.Join(", ", MissingRuns.Take(3))}{(MissingRuns.Count > 3 ? ", ..." : "")})");
        if (ExtraRuns.Count > 0) parts.Add($"{ExtraRuns.Count} runs not in the reference ({string.Join(", ", ExtraRuns.Take(3))}{(ExtraRuns.Count > 3 ? ", ..." : "")})");
        var causes = new[] { Configs, CpuClasses }.Where(c => c != null).ToList();
        return $"DIFFERENT: {string.Join("; ", parts)}{extra}{(causes.Count == 0 ? "" : $" ({string.Join("; ", causes)})")}";
    }
}

/// <summary>
/// Compares a finished grid (or run) folder with a reference folder of the same shape, e.g. a fresh
/// `reproduce` with the committed results/reproduce: for every run (a folder with results.csv), every value of
/// results.csv, the test metrics and epoch counts of metrics.json (not its timings), every column of history.csv except the
/// epoch's wall seconds, and what run.json says was trained (data set, fingerprint, seeds, variant, threads).
/// Machine facts (timestamps, paths, versions in run.json) are not compared. Values must be equal as doubles
/// (they are written in round-trip form), so "identical" means bit for bit.
/// </summary>
public static class ReferenceCheck
{
    private static readonly string[] RunFields = { "kind", "dataset", "source", "data_seed", "fingerprint", "seed", "variant", "threads" };
    private static readonly HashSet<string> IgnoredHistory = new() { "seconds" };
    private static readonly HashSet<string> IgnoredMetrics = new() { "seconds_per_epoch", "finished_utc" };

    public static CheckResult Compare(string rerunDir, string referenceDir)
    {
        var reference = Runs(referenceDir);
        var rerun = Runs(rerunDir);
        if (reference.Count == 0) throw new InvalidOperationException($"{referenceDir} holds no finished runs (no results.csv): not a reference");
        var diffs = new List<ValueDifference>();
        var newColumns = new SortedSet<string>(StringComparer.Ordinal);
        long values = 0;
        foreach (var run in reference.Keys.Intersect(rerun.Keys).Order(StringComparer.Ordinal))
        {
            var (a, b) = (reference[run], rerun[run]);
            values += CompareMaps(run, "results.csv", Results(a), Results(b), diffs);
            values += CompareMaps(run, "metrics.json", Metrics(a), Metrics(b), diffs);
            var (ha, hb) = (History(a), History(b));
            // A history column the reference never had (written by a newer build) is named, not counted as a difference.
            var refColumns = ha.Keys.Select(ColumnOf).ToHashSet();
            foreach (var k in hb.Keys.Where(k => !refColumns.Contains(ColumnOf(k))).ToList()) { newColumns.Add(ColumnOf(k)); hb.Remove(k); }
            values += CompareMaps(run, "history.csv", ha, hb, diffs);
            values += CompareMaps(run, "run.json", RunInfo(a), RunInfo(b), diffs);
        }
        return new CheckResult(rerunDir, referenceDir, reference.Count, values,
            reference.Keys.Except(rerun.Keys).Order(StringComparer.Ordinal).ToList(),
            rerun.Keys.Except(reference.Keys).Order(StringComparer.Ordinal).ToList(), diffs, newColumns.ToList(),
            CpuClassNote(referenceDir, rerunDir), ConfigNote(referenceDir, rerunDir));
    }

    /// <summary>Where the two grids' configs (configs/*.json present on both sides) differ, setting by setting, e.g.
    /// "the configs differ: default-mosi.json model.attention (reference not set, rerun "kernel")"; null when they agree.</summary>
    private static string? ConfigNote(string referenceDir, string rerunDir)
    {
        var notes = new List<string>();
        string dirA = Path.Combine(referenceDir, "configs"), dirB = Path.Combine(rerunDir, "configs");
        if (!Directory.Exists(dirA) || !Directory.Exists(dirB)) return null;
        foreach (var fa in Directory.EnumerateFiles(dirA, "*.json").Order(StringComparer.Ordinal))
        {
            var fb = Path.Combine(dirB, Path.GetFileName(fa));
            if (!File.Exists(fb)) continue;
            var (a, b) = (Flatten(JsonNode.Parse(File.ReadAllText(fa))), Flatten(JsonNode.Parse(File.ReadAllText(fb))));
            foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
            {
                string? va = a.GetValueOrDefault(key), vb = b.GetValueOrDefault(key);
                if (va != vb) notes.Add($"{Path.GetFileName(fa)} {key} (reference {va ?? "not set"}, rerun {vb ?? "not set"})");
            }
        }
        return notes.Count == 0 ? null : $"the configs differ: {string.Join(", ", notes.Take(4))}{(notes.Count > 4 ? $" and {notes.Count - 4} more" : "")}";
    }

    /// <summary>A JSON document's leaves keyed by their dotted path.</summary>
    private static Dictionary<string, string> Flatten(JsonNode? node, string prefix = "", Dictionary<string, string>? into = null)
    {
        into ??= new Dictionary<string, string>();
        if (node is JsonObject o) foreach (var (k, v) in o) Flatten(v, prefix.Length == 0 ? k : $"{prefix}.{k}", into);
        else into[prefix] = node?.ToJsonString() ?? "null";
        return into;
    }

    /// <summary>The two sides' CPU classes (<see cref="ReferenceResults.ClassOf"/>) when the rerun's is not one the
    /// reference holds for (<see cref="ReferenceResults.ClassesOf"/>): then the bits are expected to differ, and this is
    /// the first thing a DIFFERENT verdict names. Null when they agree.</summary>
    private static string? CpuClassNote(string referenceDir, string rerunDir)
    {
        string a = ReferenceResults.ClassOf(referenceDir), b = ReferenceResults.ClassOf(rerunDir);
        return ReferenceResults.ClassesOf(referenceDir).Contains(b) ? null
            : $"the reference was made on CPU class {a}, the rerun on {b}: libtorch's kernels differ between them";
    }

    /// <summary>The column of a history key "epoch N COLUMN".</summary>
    private static string ColumnOf(string historyKey) => historyKey[(historyKey.IndexOf(' ', 6) + 1)..];

    /// <summary>Finished runs under a folder, keyed by their path relative to it (a report's merged copy excluded).</summary>
    public static Dictionary<string, string> Runs(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"run folder not found: {dir}");
        return Directory.EnumerateFiles(dir, "results.csv", SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName).Select(d => d!)
            .Where(d => File.Exists(Path.Combine(d, "run.json")))
            .ToDictionary(d => Path.GetRelativePath(dir, d).Replace('\\', '/'), d => d);
    }

    private static long CompareMaps(string run, string file, Dictionary<string, string> reference, Dictionary<string, string> rerun, List<ValueDifference> diffs)
    {
        foreach (var key in reference.Keys.Union(rerun.Keys).Order(StringComparer.Ordinal))
        {
            string? a = reference.GetValueOrDefault(key), b = rerun.GetValueOrDefault(key);
            if (a != b) diffs.Add(new ValueDifference(run, file, key, a, b));
        }
        return reference.Count;
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static Dictionary<string, string> Results(string runDir) =>
        ResultsCsv.Read(Path.Combine(runDir, "results.csv"))
            .ToDictionary(r => $"{r.Protocol}/{r.Condition}{(r.Emotion.Length > 0 ? "/" + r.Emotion : "")} {r.Metric}", r => Num(r.Value));

    private static Dictionary<string, string> Metrics(string runDir)
    {
        var map = new Dictionary<string, string>();
        var path = Path.Combine(runDir, "metrics.json");
        if (!File.Exists(path)) return map;
        void Walk(JsonNode? node, string prefix)
        {
            switch (node)
            {
                case JsonObject o: foreach (var (k, v) in o) if (!IgnoredMetrics.Contains(k)) Walk(v, prefix.Length == 0 ? k : $"{prefix}.{k}"); break;
                case JsonValue v when v.TryGetValue<double>(out var d): map[prefix] = Num(d); break;
                case null: map[prefix] = "null"; break;
                default: map[prefix] = node.ToJsonString(); break;
            }
        }
        Walk(JsonNode.Parse(File.ReadAllText(path)), "");
        return map;
    }

    private static Dictionary<string, string> History(string runDir)
    {
        var map = new Dictionary<string, string>();
        var path = Path.Combine(runDir, "history.csv");
        if (!File.Exists(path)) return map;
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            for (int c = 0; c < header.Length && c < cells.Length; c++)
                if (!IgnoredHistory.Contains(header[c]))
                    map[$"epoch {i} {header[c]}"] = double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? Num(v) : cells[c];
        }
        return map;
    }

    private static Dictionary<string, string> RunInfo(string runDir)
    {
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!.AsObject();
        return RunFields.Where(info.ContainsKey).ToDictionary(f => f, f => info[f]?.ToJsonString() ?? "null");
    }
}
