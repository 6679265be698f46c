using System.Globalization;

namespace CorrKD.Reporting;

/// <summary>A run folder's history.csv (one row per epoch, written by the Trainer), read as columns by name.</summary>
public static class HistoryCsv
{
    /// <summary>Columns by name (epoch, lr, seconds, train_loss, valid_loss, valid_headline_a, ...); a cell that is not a
    /// number reads as NaN. Throws naming the folder when it has no history.csv.</summary>
    public static Dictionary<string, double[]> Read(string runFolder)
    {
        var path = Path.Combine(runFolder, "history.csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"no history.csv in {runFolder}: not a finished training run", path);
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        return header.Select((h, j) => (h, j)).ToDictionary(p => p.h, p => rows.Select(r =>
            p.j < r.Length && double.TryParse(r[p.j], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray());
    }
}
