using CorrKD.Experiments;
using CorrKD.Reporting;

namespace CorrKD.Notebooks;

/// <summary>Finding and reading finished grid folders (reproduce, study, or a notebook's own grid) for notebooks 07-09.</summary>
public static class NotebookGrids
{
    /// <summary>
    /// The newest folder directly under <paramref name="runsDir"/> whose name starts with <paramref name="prefix"/>,
    /// holds grid.json and whose grid passes <paramref name="accept"/>; null when there is none. Newest by name
    /// (the kit's folder names end in a UTC timestamp), then by write time.
    /// </summary>
    public static string? Newest(string runsDir, string prefix, Func<GridSpec, bool>? accept = null)
    {
        if (!Directory.Exists(runsDir)) return null;
        return Directory.GetDirectories(runsDir, prefix + "*")
            .Where(d => File.Exists(Path.Combine(d, "grid.json")))
            .Where(d => accept is null || accept(GridSpec.Read(d)))
            .OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal).ThenByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    /// <summary>
    /// The published rows of the paper family of <paramref name="dataset"/> (synthetic-mosi@0 -> MOSI) relabelled
    /// with the kit's data set name, so Tables.* print them in their own "published" block beside the kit's rows;
    /// for MOSI also the published ablation rows. Empty when the reference file cannot be found.
    /// </summary>
    public static IReadOnlyList<PublishedRow> PublishedFor(string dataset)
    {
        var path = PublishedResults.FindDefault() ?? PublishedResults.FindDefault(NotebookSetup.RepoRoot());
        if (path is null) return Array.Empty<PublishedRow>();
        return Report.PublishedFor(PublishedResults.Load(path), dataset);
    }
}
