using CorrKD.Data;
using CorrKD.Evaluation.Metrics;
using static TorchSharp.torch;

namespace CorrKD.Evaluation;

/// <summary>
/// Turns logits on a split into the kit's metrics, the same way for every model and protocol.
/// Sentiment: predicted class -> score (<see cref="Metrics.SentimentMetrics.ClassToScore"/>); K=2 gives the binary set
/// (acc2/f1, has0 and non0), K=3/7 the MMSA set from the score. Emotion: per-emotion one-vs-rest acc and F1.
/// The headline is f1_non0 (MOSI/MOSEI, MulT lineage) or the mean per-emotion F1 (IEMOCAP).
/// </summary>
public static class Scoring
{
    public static int[] PredictedClasses(Tensor logits)
    {
        using var a = logits.argmax(1).to(ScalarType.Int32);
        return a.data<int>().ToArray();
    }

    /// <summary>The share of samples given the most frequent predicted class: 1 when a model answers one class for every
    /// input (a collapse to the constant predictor), about the largest class's share for a working one.</summary>
    public static double TopClassShare(Tensor logits)
    {
        var pred = PredictedClasses(logits);
        return pred.Length == 0 ? double.NaN : pred.GroupBy(c => c).Max(g => g.Count()) / (double)pred.Length;
    }

    /// <summary>Metrics of one condition: a flat name -> value map (per-emotion metrics as "happy/f1").</summary>
    public static Dictionary<string, double> Score(Tensor logits, float[] labels, LabelScheme scheme, string[] classNames)
    {
        var pred = PredictedClasses(logits);
        var values = scheme.Task == TaskKind.Emotion
            ? EmotionMetrics.PerEmotion(labels.Select(y => (int)y).ToArray(), pred, classNames).ToMetrics()
            : SentimentMetrics.FromClasses(labels, pred, scheme.NumClasses);
        return values.ToDictionary(m => m.Emotion.Length > 0 ? $"{m.Emotion}/{m.Metric}" : m.Metric, m => m.Value);
    }

    /// <summary>The metric model selection and the paper's tables use.</summary>
    public static string HeadlineName(LabelScheme scheme) => scheme.Task == TaskKind.Emotion ? Headline.EmotionAverage : Headline.Sentiment;

    public static double HeadlineOf(Dictionary<string, double> metrics, LabelScheme scheme) => metrics[HeadlineName(scheme)];

    /// <summary>Mean cross-entropy of logits against the scheme's class targets.</summary>
    public static double CrossEntropy(Tensor logits, float[] labels, LabelScheme scheme)
    {
        using var scope = NewDisposeScope();
        return nn.functional.cross_entropy(logits, scheme.Targets(labels)).item<float>();
    }
}
