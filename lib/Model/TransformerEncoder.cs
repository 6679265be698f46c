using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CorrKD.Model;

/// <summary>
/// One pre-LayerNorm Transformer encoder layer, batch-first:
/// x = x + Drop(MHA(LN(x))); x = x + Drop(FFN(LN(x))), FFN = Linear(d,4d) -> ReLU -> Drop -> Linear(4d,d).
/// No causal mask and no padding mask (the lineage attends over the zero-padded frames too).
/// </summary>
public sealed class EncoderLayer : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1, norm2;
    private readonly Linear qkv, outProj, ff1, ff2;
    private readonly KitDropout residualDrop, ffDrop;
    private readonly int heads;
    private readonly double attnDropout;
    private readonly bool kernel;

    public EncoderLayer(int dim, int heads, double attentionDropout, double residualDropout, bool kernel = false) : base(nameof(EncoderLayer))
    {
        this.heads = heads; attnDropout = attentionDropout; this.kernel = kernel;
        norm1 = LayerNorm(dim); norm2 = LayerNorm(dim);
        qkv = Linear(dim, 3 * dim); outProj = Linear(dim, dim);
        ff1 = Linear(dim, 4 * dim); ff2 = Linear(4 * dim, dim);
        residualDrop = new KitDropout(residualDropout); ffDrop = new KitDropout(residualDropout);
        RegisterComponents();
    }

    /// <param name="x">(B, T, d)</param>
    /// <returns>(B, T, d)</returns>
    public override Tensor forward(Tensor x)
    {
        // The layer's own dispose scope: its intermediates' handles (scores, norms, masks, ...) go at the layer's end,
        // not the step's. Autograd keeps what backward needs by itself, so training only drops the rest (e.g. the
        // raw (B, H, T, T) scores); under no_grad (evaluation) only the output survives, instead of every layer's
        // intermediates of all three branches at once. Same ops in the same order: results are unchanged.
        using var scope = NewDisposeScope();
        var y = norm1.forward(x);
        // Attention per ModelOptions.Attention: the C# kernel, or the same math in libtorch ops (softmax(Q K^T / sqrt(dh)) V
        // written out, which bench e found faster here than libtorch's fused kernel with dropout).
        var qkvOut = qkv.forward(y);                                                                     // (B, T, 3d)
        var attn = kernel ? NarrowHeadAttention.Apply(qkvOut, heads, attnDropout, training)
                          : NarrowHeadAttention.Reference(qkvOut, heads, w => FastDropout.Apply(w, attnDropout, training));   // (B, T, d)
        x = x + residualDrop.forward(outProj.forward(attn));
        var f = ff2.forward(ffDrop.forward(functional.relu(ff1.forward(norm2.forward(x)))));
        return (x + residualDrop.forward(f)).MoveToOuterDisposeScope();
    }
}
