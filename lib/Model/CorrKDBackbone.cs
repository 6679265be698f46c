using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CorrKD.Model;

/// <summary>What one forward pass returns: the joint representation h (B, D) that SCD and CPD act on,
/// the logits z (B, K), and each modality's encoded sequence (B, T_m, d) for plots.</summary>
public sealed record BackboneOutput(Tensor Joint, Tensor Logits, Tensor[] Encodings);

/// <summary>
/// The CorrKD backbone, one class for teacher and student: three <see cref="ModalityEncoder"/>s, fusion by
/// concatenation and global average pooling into h, and a classifier h -> z.
/// The branches are independent until fusion, which the evaluator exploits to compose all seven availability
/// sets from one pass per branch (see <see cref="Fuse"/>).
/// </summary>
public sealed class CorrKDBackbone : Module
{
    private readonly ModalityEncoder language, audio, vision;
    private readonly Linear head1, head2;
    private readonly KitDropout headDrop;

    public ModelOptions Options { get; }
    public int[] InputDims { get; }
    public int NumClasses { get; }

    public CorrKDBackbone(int[] inputDims, int numClasses, ModelOptions options) : base(nameof(CorrKDBackbone))
    {
        options.Validate();
        if (inputDims.Length != 3 || inputDims.Any(d => d <= 0))
            throw new ArgumentException($"model: expected three positive input dims (l, a, v), got [{string.Join(",", inputDims)}]");
        if (numClasses < 2) throw new ArgumentException($"model: need at least 2 classes, got {numClasses}");
        Options = options; InputDims = inputDims; NumClasses = numClasses;
        language = new ModalityEncoder(inputDims[0], options);
        audio = new ModalityEncoder(inputDims[1], options);
        vision = new ModalityEncoder(inputDims[2], options);
        var j = options.JointDim;
        head1 = Linear(j, j); head2 = Linear(j, numClasses);
        headDrop = new KitDropout(options.ResidualDropout);
        RegisterComponents();
    }

    public ModalityEncoder Encoder(int m) => m switch { 0 => language, 1 => audio, _ => vision };

    /// <summary>Full forward. mods[m]: (B, T_m, d_m), missing modalities/frames already zeroed.</summary>
    public BackboneOutput Forward(Tensor[] mods)
    {
        var enc = new Tensor[3];
        for (int m = 0; m < 3; m++)
        {
            if (mods[m].dim() != 3 || mods[m].shape[2] != InputDims[m])
                throw new ArgumentException($"model: modality {m} expected (B, T, {InputDims[m]}), got [{string.Join(",", mods[m].shape)}]");
            enc[m] = Encoder(m).forward(mods[m]);
        }
        var h = Fuse(enc);
        return new BackboneOutput(h, Classify(h), enc);
    }

    /// <summary>h from the three encoded sequences (each (B, T_m, d)); fusion per <see cref="ModelOptions.Fusion"/>.</summary>
    public Tensor Fuse(Tensor[] enc) => Options.Fusion == "features"
        ? cat(enc.Select(e => e.mean(new long[] { 1 })).ToArray(), 1)   // (B, 3d)
        : cat(enc, 1).mean(new long[] { 1 });                           // (B, d): mean over all T_l+T_a+T_v frames

    /// <summary>Classifier: z = W2 Drop(ReLU(W1 h)) + b.</summary>
    public Tensor Classify(Tensor h) => head2.forward(headDrop.forward(functional.relu(head1.forward(h))));

    public long ParameterCount => parameters().Sum(p => p.numel());
}
