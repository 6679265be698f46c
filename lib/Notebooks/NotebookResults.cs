using CorrKD.Reporting;

namespace CorrKD.Notebooks;

/// <summary>Results of run folders, ready for Reporting's tables and charts.</summary>
public static class NotebookResults
{
    /// <summary>
    /// Reads results.csv of each run folder, adds the inter-modality average over the six incomplete sets ("avg"),
    /// and aggregates over seeds (mean, sd).
    /// </summary>
    public static IReadOnlyList<AggregateRow> Aggregate(params string[] runFolders)
    {
        if (runFolders.Length == 0) throw new ArgumentException("no run folders given", nameof(runFolders));
        var rows = ResultsCsv.Merge(runFolders.Select(f => Path.Combine(f, "results.csv")));
        return Aggregation.Summarize(ResultRows.WithInterAverage(rows));
    }
}
