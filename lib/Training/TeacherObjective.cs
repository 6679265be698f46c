using CorrKD.Data;
using CorrKD.Evaluation;
using CorrKD.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Training;

/// <summary>
/// The teacher: cross-entropy on the complete input (the paper's teacher never sees missing data).
/// Validation on the complete validation split.
/// </summary>
public sealed class TeacherObjective : ITrainingObjective
{
    private readonly CorrKDBackbone model;
    private readonly MsaDataset data;
    private readonly LabelScheme scheme;
    private readonly Device device;
    private readonly Tensor targets;
    private readonly int evalBatch;

    public TeacherObjective(CorrKDBackbone model, MsaDataset data, LabelScheme scheme, Device device, int evalBatch)
    {
        this.model = model; this.data = data; this.scheme = scheme; this.device = device; this.evalBatch = evalBatch;
        targets = scheme.Targets(data.Train.Labels).DetachFromDisposeScope();
    }

    public IReadOnlyList<nn.Module> Modules => new nn.Module[] { model };
    public int TrainCount => data.Train.Count;

    public (Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms) Loss(long[] batch, Generator generator)
    {
        var x = Predictor.Gather(data.Train, batch, device);
        using var idx = tensor(batch, ScalarType.Int64);   // host: indexes the CPU-held targets
        var y = targets.index_select(0, idx).to(device);
        var loss = nn.functional.cross_entropy(model.Forward(x).Logits, y);
        return (loss, new Dictionary<string, Tensor> { ["task"] = loss });
    }

    public ValidationScores Validate()
    {
        using var scope = NewDisposeScope();
        var (logits, _) = Predictor.Complete(model, data.Valid, evalBatch, device);
        var metrics = Scoring.Score(logits, data.Valid.Labels, scheme, data.ClassNames);
        return new ValidationScores(Scoring.CrossEntropy(logits, data.Valid.Labels, scheme), Scoring.HeadlineOf(metrics, scheme), metrics);
    }
}
