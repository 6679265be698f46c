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
        => Evaluate(model, split, scheme, classNames, maskSeed: 0, InterConditions(), batchSize, device);

    /// <summary>
    /// The test-time sweep of one model: the inter protocol, then (when <paramref name="intra"/>) the intra protocols
    /// (all modalities, then each alone) at every rate. One definition for training runs and the bench. Both protocols
    /// come from one <see cref="Predictor.Compose{TKey}"/> pass, so the complete input is encoded once for both.
    /// </summary>
    public static List<ConditionResult> Sweep(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames,
        long maskSeed, bool intra, int batchSize, Device device)
        => Evaluate(model, split, scheme, classNames, maskSeed, intra ? InterConditions().Concat(IntraConditions(Rates)).ToList() : InterConditions(), batchSize, device);

    /// <summary>The intra protocols (<see cref="Predictor.IntraProtocols"/>) at <paramref name="rates"/> (default 0.0..1.0),
    /// protocol by protocol, rates ascending.</summary>
    public static List<ConditionResult> Intra(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames,
        long maskSeed, IReadOnlyList<double>? rates, int batchSize, Device device)
        => Evaluate(model, split, scheme, classNames, maskSeed, IntraConditions(rates ?? Rates).ToList(), batchSize, device);

    /// <summary>(protocol, condition, branch inputs) of the inter protocol: the seven availability sets.</summary>
    private static List<(string Protocol, string Condition, Predictor.BranchInput[] Branches)> InterConditions() =>
        Availability.All.Select(s => ("inter", s.Name, Predictor.Branches(s))).ToList();

    private static IEnumerable<(string Protocol, string Condition, Predictor.BranchInput[] Branches)> IntraConditions(IReadOnlyList<double> rates) =>
        Predictor.IntraProtocols.SelectMany(p => rates.Select(r => (p, RateName(r), Predictor.Branches(p, r))));

    /// <summary>Scores the conditions in order; after the inter sets comes "avg", the mean over the six incomplete ones.</summary>
    private static List<ConditionResult> Evaluate(CorrKDBackbone model, MsaSplit split, LabelScheme scheme, string[] classNames, long maskSeed,
        List<(string Protocol, string Condition, Predictor.BranchInput[] Branches)> conditions, int batchSize, Device device)
    {
        var logits = Predictor.Eval(model, () => Predictor.Compose(model, split,
            conditions.Select(c => ((c.Protocol, c.Condition), c.Branches)).ToList(), maskSeed, batchSize, device));
        var results = conditions.Select(c => new ConditionResult(c.Protocol, c.Condition,
            Scoring.Score(logits[(c.Protocol, c.Condition)], split.Labels, scheme, classNames), logits[(c.Protocol, c.Condition)])).ToList();
        var six = results.Where(r => r.Protocol == "inter" && r.Condition != Availability.Complete.Name).ToList();
        if (six.Count > 0)
            results.Insert(results.IndexOf(six[^1]) + 1, new ConditionResult("inter", "avg", six[0].Metrics.Keys.ToDictionary(k => k, k => six.Average(r => r.Metrics[k])), null));
        return results;
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
