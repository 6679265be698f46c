using CorrKD.Data;
using CorrKD.Evaluation;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>
/// The score of a model that ignores its input and always predicts the same class: the floor every F1 chart marks,
/// so a collapsed model (one that learned a constant) is visible as sitting on it. Not 50: weighted F1 of a constant
/// is share·2·share/(1+share) for the majority class's share, below 50 whenever the classes are unbalanced.
/// </summary>
public static class ConstantPredictor
{
    /// <summary>
    /// Each metric of <see cref="Scoring.Score"/> for a constant prediction on <paramref name="split"/>, the best over
    /// the K constant classes (for weighted F1 and accuracy that is the majority class of the labels the metric
    /// scores, e.g. the non-zero labels for f1_non0). Proportions in [0, 1], keyed like results.csv ("f1_non0", "happy/f1").
    /// </summary>
    public static Dictionary<string, double> Scores(MsaSplit split, LabelScheme scheme, string[] classNames)
    {
        var best = new Dictionary<string, double>();
        for (int c = 0; c < scheme.NumClasses; c++)
        {
            using var scope = NewDisposeScope();
            var logits = nn.functional.one_hot(full(split.Count, (long)c, ScalarType.Int64), scheme.NumClasses).to(ScalarType.Float32);
            foreach (var (k, v) in Scoring.Score(logits, split.Labels, scheme, classNames))
                if (!double.IsNaN(v) && (!best.TryGetValue(k, out var b) || v > b)) best[k] = v;
        }
        return best;
    }

    /// <summary>
    /// The constant-predictor level of <paramref name="metric"/> (and <paramref name="emotion"/>) on the test split of a
    /// results data set label such as "synthetic-mosi@0" (name@data seed), regenerated or loaded the way the runs did;
    /// null when the data cannot be loaded here (a real file that is not on this machine). Sentiment with 2 classes.
    /// <paramref name="split"/>: "test" (what results.csv scores), "valid" (what a history's valid_headline scores) or "train".
    /// </summary>
    public static double? Level(string datasetLabel, string metric, string emotion = "", int sentimentClasses = 2, string split = "test")
    {
        var (name, seed) = Split(datasetLabel);
        if (!DatasetRegistry.IsSynthetic(name) && !File.Exists(name)) return null;
        using var data = DatasetRegistry.Load(name, seed);
        var scheme = LabelScheme.For(data, sentimentClasses);
        var scores = Scores(split == "valid" ? data.Valid : split == "train" ? data.Train : data.Test, scheme, data.ClassNames);
        return scores.TryGetValue(emotion.Length > 0 ? $"{emotion}/{metric}" : metric, out var v) ? v : null;
    }

    /// <summary>"synthetic-mosi@1" -> ("synthetic-mosi", 1); a label without "@seed" has data seed 0.</summary>
    public static (string Name, int DataSeed) Split(string datasetLabel)
    {
        int at = datasetLabel.LastIndexOf('@');
        return at > 0 && int.TryParse(datasetLabel[(at + 1)..], out var s) ? (datasetLabel[..at], s) : (datasetLabel, 0);
    }
}
