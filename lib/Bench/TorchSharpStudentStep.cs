using System.Diagnostics;
using CorrKD.Distillation;
using CorrKD.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>
/// One CorrKD student training step in TorchSharp on fixed random inputs of a <see cref="StepShape"/>:
/// frozen teacher forward (eval, no grad) on the complete input, student forward and backward, the corrkd
/// objective (CE + SCD + CPD + RCD with its statistics networks), global-norm clipping, Adam, loss.item().
/// The teacher runs every step here, as the brief's step does; the kit's StudentObjective instead caches the
/// teacher's outputs once per run (teacher frozen, no dropout), so a real step is cheaper by one teacher forward.
/// </summary>
public sealed class TorchSharpStudentStep : IDisposable
{
    private readonly CorrKDBackbone teacher, student;
    private readonly DistillationObjective objective;
    private readonly OptimizerHelper optimizer;
    private readonly List<Parameter> parameters;
    private readonly Tensor[] inputs;
    private readonly Tensor labels;
    private readonly Generator generator;

    public StepShape Shape { get; }
    public long BackboneParameters => student.ParameterCount;
    public long ObjectiveParameters => objective.parameters().Sum(p => p.numel());

    public TorchSharpStudentStep(StepShape shape, int seed = 0)
    {
        Shape = shape;
        random.manual_seed(seed);
        var options = shape.Config.Model;
        teacher = new CorrKDBackbone(shape.Dims, shape.Classes, options);
        teacher.eval();
        foreach (var p in teacher.parameters()) p.requires_grad = false;
        student = new CorrKDBackbone(shape.Dims, shape.Classes, options);
        student.train();
        objective = DistillationObjective.ForVariant(DistillationVariants.CorrKD, DistillationOptions.Default, shape.Classes, options.JointDim);
        objective.train();
        parameters = student.parameters().Concat(objective.parameters()).ToList();
        optimizer = optim.Adam(parameters, lr: shape.LearningRate);
        inputs = shape.Dims.Select(d => randn(shape.Batch, shape.SeqLen, d)).ToArray();
        labels = randint(0, shape.Classes, new long[] { shape.Batch }, dtype: ScalarType.Int64);
        generator = new Generator((ulong)seed + 1, CPU);
    }

    /// <summary>One step inside its own dispose scope; returns the loss.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        Tensor hT, zT;
        using (no_grad())
        {
            var t = teacher.Forward(inputs);
            hT = t.Joint; zT = t.Logits;
        }
        var s = student.Forward(inputs);
        var losses = objective.Compute(s.Joint, s.Logits, hT, zT, labels, generator);
        optimizer.zero_grad();
        losses.Total.backward();
        if (Shape.ClipGrad > 0) nn.utils.clip_grad_norm_(parameters, Shape.ClipGrad);
        optimizer.step();
        return losses.Total.item<float>();
    }

    /// <summary>Wall seconds for <paramref name="steps"/> consecutive steps.</summary>
    public double Time(int steps)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds of one frozen-teacher forward (no grad) on the step's batch: what the kit's cache saves per step.</summary>
    public double TimeTeacherForward()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var clock = Stopwatch.StartNew();
        teacher.Forward(inputs).Logits.sum().item<float>();
        return clock.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        foreach (var t in inputs) t.Dispose();
        labels.Dispose(); generator.Dispose();
        teacher.Dispose(); student.Dispose(); objective.Dispose();
    }
}
