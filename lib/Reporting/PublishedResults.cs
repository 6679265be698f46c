using System.Globalization;
using CorrKD.Data;

namespace CorrKD.Reporting;

/// <summary>
/// One published figure from data/reference/corrkd_tables.csv: weighted F1 in percent as printed in the CorrKD
/// paper (CVPR 2024) Tables 1-2 and the MOSI ablation (dataset "MOSI-ablation"), plus HRLF (NeurIPS 2024) rows.
/// Real-data numbers: printed beside the kit's results for context, never targets for synthetic data.
/// </summary>
public sealed record PublishedRow(string Dataset, string Model, string Emotion, string Condition, double F1Percent, string Source);

public static class PublishedResults
{
    public const string FileName = "corrkd_tables.csv";
    static readonly string[] Header = ["dataset", "model", "emotion", "condition", "f1", "source"];

    /// <summary>Reads the reference CSV (header dataset,model,emotion,condition,f1,source).</summary>
    public static IReadOnlyList<PublishedRow> Load(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "published reference table not found");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !Csv.Split(lines[0], path, 1).SequenceEqual(Header))
            throw new DataFormatException(path, $"line 1: expected header '{string.Join(',', Header)}'");
        var rows = new List<PublishedRow>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = Csv.Split(lines[i], path, i + 1);
            if (f.Length != Header.Length) throw new DataFormatException(path, $"line {i + 1}: {f.Length} fields, expected {Header.Length}");
            if (!double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new DataFormatException(path, $"line {i + 1}, column 'f1': '{f[4]}' is not a number");
            rows.Add(new PublishedRow(f[0], f[1], f[2], f[3], v, f[5]));
        }
        return rows;
    }

    /// <summary>
    /// Finds data/reference/corrkd_tables.csv in startDirectory (default: the current directory) or any parent,
    /// so tests, notebooks and the CLI find it from their own working folders. Null when absent.
    /// </summary>
    public static string? FindDefault(string? startDirectory = null)
    {
        for (var dir = new DirectoryInfo(startDirectory ?? Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "data", "reference", FileName);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Load from <see cref="FindDefault"/>; throws a clear error when the file cannot be found.</summary>
    public static IReadOnlyList<PublishedRow> LoadDefault(string? startDirectory = null) =>
        Load(FindDefault(startDirectory) ?? throw new DataFormatException(Path.Combine("data", "reference", FileName),
            $"not found in {startDirectory ?? Directory.GetCurrentDirectory()} or any parent folder"));
}
