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
/// </summary>
public sealed class StudentObjective : ITrainingObjective, IDisposable
{
    private readonly CorrKDBackbone student;
    private readonly DistillationObjective objective;
    private readonly RandomMissingSampler sampler;
    private readonly MsaDataset data;
    private readonly LabelScheme scheme;
    private readonly Device device;
    private readonly Tensor targets, teacherJoint, teacherLogits;
    private readonly int evalBatch;

    public StudentObjective(CorrKDBackbone student, CorrKDBackbone teacher, DistillationObjective objective,
        RandomMissingOptions missing, MsaDataset data, LabelScheme scheme, Device device, int evalBatch)
    {
        this.student = student; this.objective = objective; this.data = data; this.scheme = scheme;
        this.device = device; this.evalBatch = evalBatch;
        sampler = new RandomMissingSampler(missing);
        targets = scheme.Targets(data.Train.Labels).DetachFromDisposeScope();
        foreach (var p in teacher.parameters()) p.requires_grad = false;
        var (z, h) = Predictor.Eval(teacher, () => Predictor.Complete(teacher, data.Train, evalBatch, device));
        teacherLogits = z; teacherJoint = h;
    }

    public IReadOnlyList<nn.Module> Modules => new nn.Module[] { student, objective };
    public int TrainCount => data.Train.Count;

    public (Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms) Loss(long[] batch, Generator generator)
    {
        using var idx = tensor(batch, ScalarType.Int64);   // host: indexes CPU-held targets and teacher outputs
        var x = sampler.Apply(Predictor.Gather(data.Train, batch, CPU), generator).Select(t => t.to(device)).ToArray();   // host: MRM on the CPU generator, then to the device
        var y = targets.index_select(0, idx).to(device);
        var o = student.Forward(x);
        var losses = objective.Compute(o.Joint, o.Logits, teacherJoint.index_select(0, idx).to(device),
            teacherLogits.index_select(0, idx).to(device), y, generator);
        return (losses.Total, losses.Terms);
    }

    public ValidationScores Validate()
    {
        using var scope = NewDisposeScope();
        var logits = Predictor.ByAvailability(student, data.Valid, Availability.All, evalBatch, device);
        var per = Availability.All.Select(s => (Metrics: Scoring.Score(logits[s], data.Valid.Labels, scheme, data.ClassNames),
                                                Loss: Scoring.CrossEntropy(logits[s], data.Valid.Labels, scheme))).ToList();
        foreach (var t in logits.Values) t.Dispose();
        var metrics = per[0].Metrics.Keys.ToDictionary(k => k, k => per.Average(p => p.Metrics[k]));
        return new ValidationScores(per.Average(p => p.Loss), Scoring.HeadlineOf(metrics, scheme), metrics);
    }

    public void Dispose() { targets.Dispose(); teacherJoint.Dispose(); teacherLogits.Dispose(); }
}
