using static TorchSharp.torch;

namespace CorrKD.Data;

/// <summary>
/// How labels become classes for training, and how a predicted class maps back to a sentiment score.
/// Emotion data: K = number of emotions, class = label. Sentiment data (OPEN, default K=2):
/// K=2: negative (y &lt; 0) vs positive (y &gt;= 0); K=3: negative / neutral (y == 0) / positive;
/// K=7: round(clip(y, -3, 3)) half-to-even, shifted to 0..6.
/// </summary>
public sealed record LabelScheme(TaskKind Task, int NumClasses)
{
    public static LabelScheme For(MsaDataset ds, int sentimentClasses = 2)
    {
        if (ds.Task == TaskKind.Emotion) return new(TaskKind.Emotion, ds.ClassNames.Length);
        if (sentimentClasses is not (2 or 3 or 7))
            throw new ArgumentException($"option sentiment_classes must be 2, 3 or 7, got {sentimentClasses}");
        return new(TaskKind.Sentiment, sentimentClasses);
    }

    /// <summary>Class index of one label.</summary>
    public int ClassOf(float y) => Task == TaskKind.Emotion ? (int)y : NumClasses switch
    {
        2 => y < 0 ? 0 : 1,
        3 => y < 0 ? 0 : y == 0 ? 1 : 2,
        _ => (int)Math.Round(Math.Clamp(y, -3f, 3f), MidpointRounding.ToEven) + 3,
    };

    /// <summary>Class indices as an int64 tensor (N).</summary>
    public Tensor Targets(IReadOnlyList<float> labels) => tensor(labels.Select(y => (long)ClassOf(y)).ToArray(), ScalarType.Int64);

    /// <summary>Sentiment score a predicted class stands for: K=2 -> -1/+1, K=3 -> -1/0/+1, K=7 -> -3..3.</summary>
    public float ScoreOf(int cls) => NumClasses switch
    {
        2 => cls == 0 ? -1f : 1f,
        3 => cls - 1f,
        _ => cls - 3f,
    };
}
