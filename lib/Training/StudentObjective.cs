using CorrKD.Data;
using CorrKD.Data.Missing;
using CorrKD.Distillation;
using CorrKD.Evaluation;
using CorrKD.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Training;

/// <summary>
/// A student variant: the frozen teacher sees the complete input, the student a randomly-missing copy (MRM),
/// and the loss is the variant's weighted sum of task and distillation terms.
/// The teacher is frozen and in eval mode, so its outputs on the complete training inputs are computed once
/// up front and reused every epoch (no dropout noise to re-sample).
/// Model selection rule (validation): the mean over the seven availability sets of the cross-entropy
/// ("loss" selection) or of the headline metric ("metric" selection), on the complete validation split with
/// modalities zeroed per set; the same masks for every variant and seed.
/// Validation also reports every loss term (task and distillation, unweighted, as in training) on the validation
/// split under the random-missing law, with a fixed generator (<see cref="ValidationSeed"/>): the same draws every
/// epoch, and none taken from the training streams, so it changes no training result. History: valid_task, valid_scd, ...,
/// and each availability set's loss, headline and top-class share (valid_loss_l ... valid_top_share_lav).
/// </summary>
public sealed class StudentObjective : ITrainingObjective, IDisposable
{
    private readonly CorrKDBackbone student;
    private readonly DistillationObjective objective;
    private readonly RandomMissingSampler sampler;
    private readonly MsaDataset data;
    private readonly LabelScheme scheme;
    private readonly Device device;
    private readonly Tensor targets, teacherJoint, teacherLogits, validTargets, validTeacherJoint, validTeacherLogits;
    private readonly int evalBatch, termBatch;

    /// <summary>Seed of the random-missing draws behind the validation loss terms.</summary>
    public const ulong ValidationSeed = 0x5EED_0F_7E27;

    public StudentObjective(CorrKDBackbone student, CorrKDBackbone teacher, DistillationObjective objective,
        RandomMissingOptions missing, MsaDataset data, LabelScheme scheme, Device device, int evalBatch, int termBatch)
    {
        this.student = student; this.objective = objective; this.data = data; this.scheme = scheme;
        this.device = device; this.evalBatch = evalBatch; this.termBatch = termBatch;
        sampler = new RandomMissingSampler(missing);
        targets = scheme.Targets(data.Train.Labels).DetachFromDisposeScope();
        foreach (var p in teacher.parameters()) p.requires_grad = false;
        var (z, h) = Predictor.Eval(teacher, () => Predictor.Complete(teacher, data.Train, evalBatch, device));
        teacherLogits = z; teacherJoint = h;
        validTargets = scheme.Targets(data.Valid.Labels).DetachFromDisposeScope();
        (validTeacherLogits, validTeacherJoint) = Predictor.Eval(teacher, () => Predictor.Complete(teacher, data.Valid, evalBatch, device));
    }

    public IReadOnlyList<nn.Module> Modules => new nn.Module[] { student, objective };
    public int TrainCount => data.Train.Count;

    public (Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms) Loss(long[] batch, Generator generator)
    {
        var losses = Losses(data.Train, targets, teacherJoint, teacherLogits, batch, generator);
        return (losses.Total, losses.Terms);
    }

    private DistillationLosses Losses(MsaSplit split, Tensor y, Tensor hT, Tensor zT, long[] batch, Generator generator)
    {
        using var idx = tensor(batch, ScalarType.Int64);   // host: indexes CPU-held targets and teacher outputs
        var x = sampler.Apply(Predictor.Gather(split, batch, CPU), generator).Select(t => t.to(device)).ToArray();   // host: MRM on the CPU generator, then to the device
        var o = student.Forward(x);
        return objective.Compute(o.Joint, o.Logits, hT.index_select(0, idx).to(device), zT.index_select(0, idx).to(device),
            y.index_select(0, idx).to(device), generator);
    }

    /// <summary>Each loss term's mean over the validation split, in training-size batches, on random-missing input.</summary>
    private Dictionary<string, double> ValidationTerms()
    {
        using var gen = new Generator(ValidationSeed, CPU);   // host: the MRM sampler draws on the CPU
        var sums = new Dictionary<string, double>();
        int n = data.Valid.Count;
        for (int start = 0; start < n; start += termBatch)
        {
            using var step = new StepScope();
            var batch = Enumerable.Range(start, Math.Min(termBatch, n - start)).Select(i => (long)i).ToArray();
            foreach (var (k, v) in Losses(data.Valid, validTargets, validTeacherJoint, validTeacherLogits, batch, gen).Terms)
                sums[k] = sums.GetValueOrDefault(k) + v.item<float>() * batch.Length;
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value / n);
    }

    public ValidationScores Validate()
    {
        using var scope = NewDisposeScope();
        var logits = Predictor.ByAvailability(student, data.Valid, Availability.All, evalBatch, device);
        var per = Availability.All.Select(s => (Metrics: Scoring.Score(logits[s], data.Valid.Labels, scheme, data.ClassNames),
                                                Loss: Scoring.CrossEntropy(logits[s], data.Valid.Labels, scheme),
                                                TopShare: Scoring.TopClassShare(logits[s]))).ToList();
        foreach (var t in logits.Values) t.Dispose();
        var metrics = per[0].Metrics.Keys.ToDictionary(k => k, k => per.Average(p => p.Metrics[k]));
        double headline = Scoring.HeadlineOf(metrics, scheme);
        // Each set's own loss, headline and top-class share (history: valid_loss_a, valid_headline_av, valid_top_share_v,
        // ...): what the selection rule averages, so a collapse on one set (share 1: one answer for every input) can be
        // told apart from a general one.
        for (int i = 0; i < per.Count; i++)
        {
            metrics[$"loss_{Availability.All[i].Name}"] = per[i].Loss;
            metrics[$"headline_{Availability.All[i].Name}"] = Scoring.HeadlineOf(per[i].Metrics, scheme);
            metrics[$"top_share_{Availability.All[i].Name}"] = per[i].TopShare;
        }
        foreach (var (k, v) in ValidationTerms()) metrics[k] = v;
        return new ValidationScores(per.Average(p => p.Loss), headline, metrics);
    }

    public void Dispose()
    {
        foreach (var t in new[] { targets, teacherJoint, teacherLogits, validTargets, validTeacherJoint, validTeacherLogits }) t.Dispose();
    }
}
