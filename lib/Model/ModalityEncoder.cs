using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CorrKD.Model;

/// <summary>
/// One modality's branch: temporal Conv1d d_m -> d, scaled by sqrt(d), plus sinusoidal positions, dropout,
/// a stack of pre-LN Transformer layers and a final LayerNorm.
/// </summary>
public sealed class ModalityEncoder : Module<Tensor, Tensor>
{
    private readonly TemporalConv proj;
    private readonly KitDropout embedDrop;
    private readonly ModuleList<EncoderLayer> layers;
    private readonly LayerNorm finalNorm;
    private readonly int dim;

    public ModalityEncoder(int inputDim, ModelOptions o) : base(nameof(ModalityEncoder))
    {
        dim = o.HiddenDim;
        proj = new TemporalConv(inputDim, o.HiddenDim, o.ConvKernel);
        embedDrop = new KitDropout(o.EmbedDropout);
        layers = new ModuleList<EncoderLayer>(Enumerable.Range(0, o.Layers)
            .Select(_ => new EncoderLayer(o.HiddenDim, o.Heads, o.AttentionDropout, o.ResidualDropout, o.AttentionKernel)).ToArray());
        finalNorm = LayerNorm(o.HiddenDim);
        RegisterComponents();
    }

    /// <param name="x">(B, T, d_m)</param>
    /// <returns>(B, T, d)</returns>
    public override Tensor forward(Tensor x)
    {
        var e = proj.forward(x) * Math.Sqrt(dim);                                    // (B, T, d)
        e = embedDrop.forward(e + SinusoidalPositions(e.shape[1], dim, e.device));
        foreach (var layer in layers) e = layer.forward(e);
        return finalNorm.forward(e);
    }

    /// <summary>PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)); shape (T, d).</summary>
    public static Tensor SinusoidalPositions(long t, int d, Device device)
    {
        var pos = arange(t, dtype: ScalarType.Float32, device: device).unsqueeze(1);              // (T, 1)
        var freq = exp(arange(0, d, 2, dtype: ScalarType.Float32, device: device) * (-Math.Log(10000.0) / d)); // (d/2)
        var angles = pos * freq;                                                                   // (T, d/2)
        return stack(new[] { sin(angles), cos(angles) }, dim: 2).reshape(t, -1)[.., ..d];
    }
}
