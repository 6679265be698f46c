namespace CorrKD.Evaluation.Metrics;

/// <summary>
/// The lower_snake metric names used as the tidy results CSV's <c>metric</c> column. Proportions (acc*, f1*) are
/// stored as fractions in [0, 1]; tables print them as percentages like the paper.
/// </summary>
public static class MetricNames
{
    public const string Acc2Has0 = "acc2_has0";
    public const string F1Has0 = "f1_has0";
    public const string Acc2Non0 = "acc2_non0";
    public const string F1Non0 = "f1_non0";
    public const string Acc5 = "acc5";
    public const string Acc7 = "acc7";
    public const string Mae = "mae";
    public const string Corr = "corr";
    /// <summary>Emotion: per-emotion one-vs-rest accuracy, or (emotion "") the overall multi-class accuracy.</summary>
    public const string Acc = "acc";
    /// <summary>Emotion: per-emotion one-vs-rest weighted F1.</summary>
    public const string F1 = "f1";
    /// <summary>Emotion: mean of the per-emotion F1 values (emotion "").</summary>
    public const string F1Avg = "f1_avg";
}

/// <summary>
/// The metric each dataset's tables lead with. MOSI/MOSEI: weighted F1 on non-zero labels ("non0"), the MulT
/// lineage convention the CorrKD paper's tables follow; has0 (truth &gt;= 0 vs &lt; 0) is always reported beside it.
/// IEMOCAP: per-emotion one-vs-rest weighted F1, and their average.
/// </summary>
public static class Headline
{
    public const string Sentiment = MetricNames.F1Non0;
    public const string Emotion = MetricNames.F1;
    public const string EmotionAverage = MetricNames.F1Avg;

    /// <summary>Headline metric name for a dataset name (MOSI, MOSEI, IEMOCAP; case-insensitive).</summary>
    public static string For(string dataset) => dataset.Trim().ToUpperInvariant() switch
    {
        "MOSI" or "MOSEI" => Sentiment,
        "IEMOCAP" => Emotion,
        _ => throw new ArgumentException($"no headline metric for dataset '{dataset}': expected MOSI, MOSEI or IEMOCAP", nameof(dataset)),
    };
}

/// <summary>One named metric value; Emotion is "" for sentiment and for emotion-wide aggregates.</summary>
public readonly record struct MetricValue(string Emotion, string Metric, double Value);
