using CorrKD.Data;
using CorrKD.Data.Missing;
using CorrKD.Evaluation;
using CorrKD.Evaluation.Metrics;
using CorrKD.Model;
using CorrKD.Reporting;
using CorrKD.Training;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Notebook 08's checks of the evaluator, each a function so a cell stays one call.</summary>
public static class EvaluationViews
{
    /// <summary>
    /// A backbone for <paramref name="data"/> with the family config's teacher options, freshly initialised with
    /// <paramref name="seed"/>: enough to check the evaluator, whose exactness does not depend on the weights.
    /// </summary>
    public static CorrKDBackbone UntrainedModel(MsaDataset data, KitConfig cfg, int seed)
    {
        random.manual_seed(seed);
        var model = new CorrKDBackbone(data.Dims, cfg.SentimentClasses, cfg.ModelFor(cfg.Teacher));
        model.eval();
        return model;
    }

    /// <summary>
    /// Branch composition against the plain forward pass: for each availability set, the largest absolute difference
    /// between the logits <see cref="Predictor.ByAvailability"/> composes and those of a forward pass on zeroed inputs.
    /// </summary>
    public static HtmlView BranchCompositionCheck(CorrKDBackbone model, MsaSplit split)
    {
        var composed = Predictor.ByAvailability(model, split, Availability.All, 64, CPU);
        var rows = Availability.All.Select(a =>
        {
            using var scope = NewDisposeScope();
            var direct = Predictor.Eval(model, () => { using var _ = no_grad(); return model.Forward(MissingModality.ApplyAvailability(split.Modalities, a)).Logits; });
            return (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
                { ["set"] = a.Name, ["max |composed − direct| logit"] = (composed[a] - direct).abs().max().item<float>() };
        }).ToList();
        foreach (var t in composed.Values) t.Dispose();
        return rows.AsHtml(decimals: 8);
    }

    /// <summary>
    /// f1_non0 of the language-only set recomputed by hand from a run's predictions.csv, beside the kit's
    /// Classification.WeightedF1 and the value stored in results.csv; one line saying so when the folder has no
    /// predictions (the committed reference results leave them out).
    /// </summary>
    public static HtmlView RecomputeHeadline(string runDir, string condition = "l")
    {
        var path = Path.Combine(runDir, "predictions.csv");
        if (!File.Exists(path))
            return HtmlView.Pre("This run folder has no predictions.csv (the reference results leave it out).\nSet train = true to recompute the headline from a run trained here.");
        var sel = PredictionsFile.Read(path).Where(p => p.Protocol == "inter" && p.Condition == condition && p.Label != 0).ToList();
        int[] truth = sel.Select(p => p.Label > 0 ? 1 : 0).ToArray(), pred = sel.Select(p => p.PredClass).ToArray();
        var stored = ResultsCsv.Read(Path.Combine(runDir, "results.csv")).Single(r => r.Protocol == "inter" && r.Condition == condition && r.Metric == Tables.SentimentHeadline).Value;
        return HtmlView.Pre($"{sel.Count} test samples with a non-zero label, set {{{condition}}}\n" +
            $"recomputed by hand from predictions.csv: {ByHand(truth, pred):F6}\nkit's Classification.WeightedF1:         {Classification.WeightedF1(truth, pred):F6}\nstored in results.csv:                   {stored:F6}");
    }

    /// <summary>F1_w = sum_c n_c/n * 2 TP_c / (2 TP_c + FP_c + FN_c), over the classes present in the truth.</summary>
    public static double ByHand(int[] truth, int[] pred) => truth.Distinct().Sum(c =>
    {
        int tp = truth.Where((y, i) => y == c && pred[i] == c).Count(), fp = pred.Where((y, i) => y == c && truth[i] != c).Count(), fn = truth.Count(y => y == c) - tp;
        return truth.Count(y => y == c) / (double)truth.Length * (tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn));
    });
}
