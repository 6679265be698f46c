using Microsoft.Data.Analysis;

namespace CorrKD.Reporting;

/// <summary>Mean and sample sd (n - 1) of one cell over its seeds; Std is NaN for a single seed.</summary>
public sealed record AggregateRow(string Dataset, string Variant, string Protocol, string Condition, string Emotion,
    string Metric, int N, double Mean, double Std);

/// <summary>Seed aggregation of tidy results.</summary>
public static class Aggregation
{
    /// <summary>
    /// Groups by (dataset, variant, protocol, condition, emotion, metric) and reports n, mean and sample sd
    /// s = √(Σ(x - x̄)²/(n - 1)) over seeds. Order: first appearance of each cell.
    /// </summary>
    public static IReadOnlyList<AggregateRow> Summarize(IEnumerable<ResultRow> rows) =>
        rows.GroupBy(r => r.Cell).Select(g =>
        {
            var v = g.Select(r => r.Value).ToArray();
            double mean = v.Average();
            double std = v.Length < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
            var k = g.Key;
            return new AggregateRow(k.Dataset, k.Variant, k.Protocol, k.Condition, k.Emotion, k.Metric, v.Length, mean, std);
        }).ToList();

    /// <summary>The aggregate as a DataFrame with columns dataset, variant, protocol, condition, emotion, metric, n, mean, std.</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<AggregateRow> rows) => new(
        new StringDataFrameColumn("dataset", rows.Select(r => r.Dataset)),
        new StringDataFrameColumn("variant", rows.Select(r => r.Variant)),
        new StringDataFrameColumn("protocol", rows.Select(r => r.Protocol)),
        new StringDataFrameColumn("condition", rows.Select(r => r.Condition)),
        new StringDataFrameColumn("emotion", rows.Select(r => r.Emotion)),
        new StringDataFrameColumn("metric", rows.Select(r => r.Metric)),
        new Int32DataFrameColumn("n", rows.Select(r => r.N)),
        new DoubleDataFrameColumn("mean", rows.Select(r => r.Mean)),
        new DoubleDataFrameColumn("std", rows.Select(r => r.Std)));

    /// <summary>Raw tidy rows as a DataFrame (columns as in the results CSV).</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<ResultRow> rows) => new(
        new StringDataFrameColumn("dataset", rows.Select(r => r.Dataset)),
        new StringDataFrameColumn("variant", rows.Select(r => r.Variant)),
        new Int32DataFrameColumn("seed", rows.Select(r => r.Seed)),
        new StringDataFrameColumn("protocol", rows.Select(r => r.Protocol)),
        new StringDataFrameColumn("condition", rows.Select(r => r.Condition)),
        new StringDataFrameColumn("emotion", rows.Select(r => r.Emotion)),
        new StringDataFrameColumn("metric", rows.Select(r => r.Metric)),
        new DoubleDataFrameColumn("value", rows.Select(r => r.Value)));

    /// <summary>Shorthand: Summarize then ToDataFrame.</summary>
    public static DataFrame SummarizeFrame(IEnumerable<ResultRow> rows) => ToDataFrame(Summarize(rows));
}
