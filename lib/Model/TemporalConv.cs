using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CorrKD.Model;

/// <summary>
/// Temporal 1-D convolution d_in -> d_out over the time axis of a (B, T, d_in) sequence, zero-padded to keep T,
/// no bias. Same math and the same weight layout (d_out, d_in, k) as PyTorch's Conv1d, so state dicts map 1:1,
/// but computed as unfold + matmul: libtorch 2.10's CPU convolution kernel returned sporadic non-finite outputs
/// on finite inputs and weights in an earlier session (never reproduced since: see bench e, "numerics"), which
/// surfaced as NaN losses mid-training. y[b, t, o] = sum_{i, j} W[o, i, j] * x[b, t + j - (k-1)/2, i].
/// </summary>
public sealed class TemporalConv : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly int kernel;

    public TemporalConv(int inputDim, int outputDim, int kernel) : base(nameof(TemporalConv))
    {
        if (kernel < 1 || kernel % 2 == 0) throw new ArgumentException($"temporal conv kernel must be odd and >= 1, got {kernel}");
        this.kernel = kernel;
        // PyTorch Conv1d's default init: kaiming_uniform(a = sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        var bound = 1.0 / Math.Sqrt(inputDim * kernel);
        weight = Parameter(empty(outputDim, inputDim, kernel).uniform_(-bound, bound));   // host: parameters start on the CPU; module.to(device) moves them
        RegisterComponents();
    }

    /// <param name="x">(B, T, d_in)</param>
    /// <returns>(B, T, d_out)</returns>
    public override Tensor forward(Tensor x)
    {
        var (b, t, d) = (x.shape[0], x.shape[1], x.shape[2]);
        int pad = (kernel - 1) / 2;
        var padded = pad == 0 ? x : functional.pad(x, new long[] { 0, 0, pad, pad });   // (B, T + 2p, d_in)
        var windows = padded.unfold(1, kernel, 1).reshape(b, t, d * kernel);             // (B, T, d_in * k), (i, j) order
        return windows.matmul(weight.reshape(weight.shape[0], d * kernel).t());
    }
}
