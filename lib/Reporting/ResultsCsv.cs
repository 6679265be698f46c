using CorrKD.IO;
using System.Globalization;
using System.Text;
using CorrKD.Data;

namespace CorrKD.Reporting;

/// <summary>
/// One tidy result: a metric value for one run (dataset, variant, seed) under one test condition.
/// Protocol "inter": Condition is an availability set l, a, v, la, lv, av, lav, or "avg" (mean of the six
/// incomplete sets, see <see cref="ResultRows.WithInterAverage"/>). Protocol "intra": Condition is the missing
/// rate formatted "0.0".."1.0". Emotion is "" for sentiment and emotion-wide metrics.
/// </summary>
public sealed record ResultRow(string Dataset, string Variant, int Seed, string Protocol, string Condition,
    string Emotion, string Metric, double Value)
{
    /// <summary>Everything but Seed and Value: rows with the same key are repeats over seeds.</summary>
    public (string Dataset, string Variant, string Protocol, string Condition, string Emotion, string Metric) Cell =>
        (Dataset, Variant, Protocol, Condition, Emotion, Metric);
}

/// <summary>Protocol names and the formatting of intra-modality rates.</summary>
public static class Protocols
{
    public const string Inter = "inter";
    public const string Intra = "intra";
    /// <summary>The derived inter-modality condition: mean over the six incomplete availability sets.</summary>
    public const string Average = "avg";

    /// <summary>Intra-modality condition name of a missing rate: 0.3 → "0.3" (one decimal, invariant culture).</summary>
    public static string Rate(double rate) => rate.ToString("0.0", CultureInfo.InvariantCulture);
}

/// <summary>
/// The tidy results CSV: header <c>dataset,variant,seed,protocol,condition,emotion,metric,value</c>,
/// invariant culture, values in round-trip form ("R"), NaN written as NaN. RFC 4180 quoting where needed.
/// </summary>
public static class ResultsCsv
{
    public static readonly string[] Columns = ["dataset", "variant", "seed", "protocol", "condition", "emotion", "metric", "value"];
    public static string Header => string.Join(',', Columns);

    /// <summary>Writes atomically: a temp file in the same folder, then a rename over the target.</summary>
    public static void Write(string path, IEnumerable<ResultRow> rows)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(Csv.Escape(r.Dataset)).Append(',').Append(Csv.Escape(r.Variant)).Append(',')
              .Append(r.Seed.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Csv.Escape(r.Protocol)).Append(',')
              .Append(Csv.Escape(r.Condition)).Append(',').Append(Csv.Escape(r.Emotion)).Append(',')
              .Append(Csv.Escape(r.Metric)).Append(',').Append(r.Value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads a results CSV; any malformed line throws a DataFormatException naming file, line and column.</summary>
    public static IReadOnlyList<ResultRow> Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "results CSV not found");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new DataFormatException(path, $"empty file: expected the header '{Header}'");
        var header = Csv.Split(lines[0], path, 1);
        if (!header.Select(h => h.Trim()).SequenceEqual(Columns))
            throw new DataFormatException(path, $"line 1: header is '{lines[0]}', expected '{Header}'");
        var rows = new List<ResultRow>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            int line = i + 1;
            var f = Csv.Split(lines[i], path, line);
            if (f.Length != Columns.Length)
                throw new DataFormatException(path, $"line {line}: {f.Length} fields, expected {Columns.Length} ({Header})");
            if (!int.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
                throw new DataFormatException(path, $"line {line}, column 'seed': '{f[2]}' is not an integer");
            if (!double.TryParse(f[7], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new DataFormatException(path, $"line {line}, column 'value': '{f[7]}' is not a number (invariant culture, '.' decimal point)");
            foreach (var c in new[] { 0, 1, 3, 6 })
                if (f[c].Length == 0) throw new DataFormatException(path, $"line {line}, column '{Columns[c]}': empty");
            rows.Add(new ResultRow(f[0], f[1], seed, f[3], f[4], f[5], f[6], value));
        }
        return rows;
    }

    /// <summary>
    /// Concatenates several results files. A key (dataset, variant, seed, protocol, condition, emotion, metric)
    /// seen twice with the same value is kept once (re-merged files); with different values it is a conflict and
    /// throws, naming both files.
    /// </summary>
    public static IReadOnlyList<ResultRow> Merge(IEnumerable<string> paths)
    {
        var seen = new Dictionary<(string, string, int, string, string, string, string), (double Value, string File)>();
        var rows = new List<ResultRow>();
        foreach (var p in paths)
            foreach (var r in Read(p))
            {
                var key = (r.Dataset, r.Variant, r.Seed, r.Protocol, r.Condition, r.Emotion, r.Metric);
                if (seen.TryGetValue(key, out var prev))
                {
                    if (prev.Value.Equals(r.Value)) continue;
                    throw new DataFormatException(p, $"{key} = {r.Value.ToString("R", CultureInfo.InvariantCulture)} conflicts with {prev.Value.ToString("R", CultureInfo.InvariantCulture)} in {prev.File}");
                }
                seen[key] = (r.Value, p);
                rows.Add(r);
            }
        return rows;
    }
}

/// <summary>Transformations of tidy result rows.</summary>
public static class ResultRows
{
    /// <summary>The six incomplete inter-modality conditions, in the paper's column order.</summary>
    public static readonly string[] IncompleteConditions = ["l", "a", "v", "la", "lv", "av"];

    /// <summary>
    /// Adds, for every (dataset, variant, seed, emotion, metric) of the inter protocol that has all six incomplete
    /// conditions, a row with Condition "avg" = their mean (the paper's "Avg." column; the complete set lav is
    /// excluded). Groups missing a condition get no avg row; groups that already have one are left alone.
    /// </summary>
    public static IReadOnlyList<ResultRow> WithInterAverage(IEnumerable<ResultRow> rows)
    {
        var all = rows.ToList();
        var added = all.Where(r => r.Protocol == Protocols.Inter)
            .GroupBy(r => (r.Dataset, r.Variant, r.Seed, r.Emotion, r.Metric))
            .Where(g => g.All(r => r.Condition != Protocols.Average))
            .Select(g =>
            {
                var byCond = g.Where(r => IncompleteConditions.Contains(r.Condition)).GroupBy(r => r.Condition).ToList();
                if (byCond.Count != IncompleteConditions.Length) return null;
                if (byCond.Any(c => c.Count() > 1))
                    throw new ArgumentException($"duplicate inter rows for {g.Key}: each condition must appear once per seed");
                var k = g.Key;
                return new ResultRow(k.Dataset, k.Variant, k.Seed, Protocols.Inter, Protocols.Average, k.Emotion, k.Metric,
                    byCond.Average(c => c.Single().Value));
            })
            .Where(r => r is not null).Select(r => r!).ToList();
        all.AddRange(added);
        return all;
    }
}

/// <summary>Minimal RFC 4180 helpers shared by the CSV writers.</summary>
internal static class Csv
{
    public static string Escape(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 || s != s.Trim() ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    public static string[] Split(string line, string path, int lineNo)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"' && sb.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        if (quoted) throw new DataFormatException(path, $"line {lineNo}: unterminated quoted field");
        fields.Add(sb.ToString());
        return fields.ToArray();
    }
}
