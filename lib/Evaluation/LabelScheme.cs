using CorrKD.Data;
using CorrKD.Evaluation.Metrics;
using static TorchSharp.torch;

namespace CorrKD.Evaluation;

/// <summary>
/// How labels become training classes, and how a predicted class maps back to a sentiment score.
/// Emotion data: K = number of emotions, class = label. Sentiment data (OPEN, default K=2): the one mapping in
/// <see cref="SentimentMetrics.ScoreToClass"/> / <see cref="SentimentMetrics.ClassToScore"/>
/// (K=2: y &gt;= 0 positive; K=3: negative / neutral (y == 0) / positive; K=7: round-half-even(clip(y)) + 3).
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
    public int ClassOf(float y) => Task == TaskKind.Emotion ? (int)y : SentimentMetrics.ScoreToClass(y, NumClasses);

    /// <summary>Class indices as an int64 tensor (N).</summary>
    public Tensor Targets(IReadOnlyList<float> labels) => tensor(labels.Select(y => (long)ClassOf(y)).ToArray(), ScalarType.Int64);   // host: labels are CPU-held; callers index then .to(device)
}
