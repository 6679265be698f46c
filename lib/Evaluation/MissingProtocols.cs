using System.Globalization;
using System.Text;
using CorrKD.Data;
using CorrKD.Model;
using static TorchSharp.torch;

namespace CorrKD.Evaluation;

/// <summary>Scores of one model under one condition; Logits (N, K, CPU) is null for derived rows such as "avg".</summary>
public sealed record ConditionResult(string Protocol, string Condition, Dictionary<string, double> Metrics, Tensor? Logits);

/// <summary>
/// The paper's two missing-modality protocols on a split:
/// inter-modality: the seven availability sets plus "avg" = mean over the six incomplete sets (complete excluded);
/// intra-modality: every frame of every modality dropped independently with probability r, r = 0.0, 0.1, ..., 1.0,
/// on the fixed seeded masks, so every model sees exactly the same corrupted inputs.
/// </summary>
public static class MissingProtocols
{
    public static readonly double[] Rates = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();

    public static string RateName(double r) => r.ToString("0.0", CultureInfo.InvariantCulture);

    public static List<ConditionResult> Inter(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames, int batchSize, Device device)
    {
        var logits = Predictor.Eval(model, () => Predictor.ByAvailability(model, split, Availability.All, batchSize, device));
        var results = Availability.All.Select(s => new ConditionResult("inter", s.Name, Scoring.Score(logits[s], split.Labels, scheme, classNames), logits[s])).ToList();
        var six = results.Where(r => r.Condition != Availability.Complete.Name).ToList();
        var avg = six[0].Metrics.Keys.ToDictionary(k => k, k => six.Average(r => r.Metrics[k]));
        results.Insert(6, new ConditionResult("inter", "avg", avg, null));
        return results;
    }

    /// <summary>
    /// The test-time sweep of one model: the inter protocol, then (when <paramref name="intra"/>) the intra protocols
    /// (all modalities, then each alone) at every rate. One definition for training runs and the bench.
    /// </summary>
    public static List<ConditionResult> Sweep(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames,
        long maskSeed, bool intra, int batchSize, Device device)
    {
        var results = Inter(model, split, scheme, classNames, batchSize, device);
        if (intra) results.AddRange(Intra(model, split, scheme, classNames, maskSeed, null, batchSize, device));
        return results;
    }

    /// <summary>The intra protocols (<see cref="Predictor.IntraProtocols"/>) at <paramref name="rates"/> (default 0.0..1.0),
    /// protocol by protocol, rates ascending.</summary>
    public static List<ConditionResult> Intra(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames,
        long maskSeed, IReadOnlyList<double>? rates, int batchSize, Device device)
    {
        rates ??= Rates;
        var logits = Predictor.Eval(model, () => Predictor.FrameDropSweep(model, split, maskSeed, rates, batchSize, device));
        return Predictor.IntraProtocols.SelectMany(p => rates.Select(r =>
            new ConditionResult(p, RateName(r), Scoring.Score(logits[(p, r)], split.Labels, scheme, classNames), logits[(p, r)]))).ToList();
    }

    /// <summary>
    /// predictions.csv: id, protocol, condition, true label, true class, predicted class, then one probability
    /// column per class, so any metric can be recomputed from it. Written atomically.
    /// </summary>
    public static void WritePredictions(string path, MsaSplit split, LabelScheme scheme, IEnumerable<ConditionResult> results)
    {
        var sb = new StringBuilder();
        sb.Append("id,protocol,condition,label,true_class,pred_class");
        for (int k = 0; k < scheme.NumClasses; k++) sb.Append(",p").Append(k);
        sb.Append('\n');
        foreach (var r in results.Where(r => r.Logits is not null))
        {
            using var scope = NewDisposeScope();
            var probs = nn.functional.softmax(r.Logits!, 1).data<float>().ToArray();
            var pred = Scoring.PredictedClasses(r.Logits!);
            int k = scheme.NumClasses;
            for (int i = 0; i < split.Count; i++)
            {
                sb.Append(Csv(split.Ids[i])).Append(',').Append(r.Protocol).Append(',').Append(r.Condition).Append(',')
                  .Append(split.Labels[i].ToString("R", CultureInfo.InvariantCulture)).Append(',')
                  .Append(scheme.ClassOf(split.Labels[i])).Append(',').Append(pred[i]);
                for (int c = 0; c < k; c++) sb.Append(',').Append(probs[i * k + c].ToString("0.######", CultureInfo.InvariantCulture));
                sb.Append('\n');
            }
        }
        IO.AtomicFile.WriteAllText(path, sb.ToString());
    }

    private static string Csv(string s) => s.IndexOfAny(new[] { ',', '"', '\n' }) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
