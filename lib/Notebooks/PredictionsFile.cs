using System.Globalization;
using CorrKD.Data;

namespace CorrKD.Notebooks;

/// <summary>One line of a run's predictions.csv: the test sample, the condition it was scored under, and the model's output.</summary>
public sealed record PredictionRow(string Id, string Protocol, string Condition, float Label, int TrueClass, int PredClass, float[] Probabilities);

/// <summary>
/// Reads predictions.csv (written by CorrKD.Evaluation.MissingProtocols.WritePredictions: id, protocol, condition,
/// label, true_class, pred_class, p0..pK-1), so a notebook can recompute any metric from the raw predictions.
/// </summary>
public static class PredictionsFile
{
    public static IReadOnlyList<PredictionRow> Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "predictions file not found (is this a finished run folder?)");
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 || !lines[0].StartsWith("id,protocol,condition,label,true_class,pred_class", StringComparison.Ordinal))
            throw new DataFormatException(path, "line 1: expected header 'id,protocol,condition,label,true_class,pred_class,p0,...'");
        int k = lines[0].Split(',').Length - 6;
        var rows = new List<PredictionRow>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            // Ids never hold commas in the kit's data; a quoted id would be split here, so reject it clearly.
            var f = lines[i].Split(',');
            if (f.Length != 6 + k) throw new DataFormatException(path, $"line {i + 1}: {f.Length} fields, expected {6 + k}");
            float P(int j) => float.TryParse(f[j], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : throw new DataFormatException(path, $"line {i + 1}, field {j + 1}: '{f[j]}' is not a number");
            rows.Add(new PredictionRow(f[0], f[1], f[2], P(3), (int)P(4), (int)P(5), Enumerable.Range(6, k).Select(P).ToArray()));
        }
        return rows;
    }
}
