using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Bench;

/// <summary>
/// `bench --only e --numerics train`: trains, for a number of steps, a bench-local encoder built the way the model was
/// before the kernels were replaced (commit 3731bbc^: libtorch Conv1d on the (B, d, T) transposed view, fused
/// scaled_dot_product_attention with libtorch's dropout, pre-LN layers; here 3 modalities 300/5/20 at T 50, d 40,
/// 2 layers of 10 heads, mean-pooled into a regression head, Adam + clipping). Training's extra conditions are in
/// the data: 1284 samples in batches of 128 (last batch 4), missing modalities (whole inputs zero) and zeroed frames.
/// Every conv and attention output, the loss and the gradient norm are checked for non-finite values. Finiteness
/// only (no float64 reference here: that is what the trial cases do). The kit's model is not touched.
/// </summary>
public static class NumericsTrainingProbe
{
    public sealed record Result(int Steps, int PartialBatches, long ConvCalls, long ConvNonFinite, long AttentionCalls, long AttentionNonFinite,
                                int LossNonFinite, int GradNonFinite, double FirstLoss, double LastLoss, double Seconds);

    private sealed class OldEncoder : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter conv;
        private readonly ModuleList<LayerNorm> norms;
        private readonly ModuleList<Linear> linears;
        private readonly LayerNorm finalNorm;
        private readonly NumericsTrainingProbeCounters counters;
        private const int D = 40, H = 10, Layers = 2;

        public OldEncoder(int inDim, NumericsTrainingProbeCounters counters) : base(nameof(OldEncoder))
        {
            this.counters = counters;
            var bound = 1.0 / Math.Sqrt(inDim * 3);
            conv = nn.Parameter(empty(D, inDim, 3).uniform_(-bound, bound));
            norms = new ModuleList<LayerNorm>(Enumerable.Range(0, 2 * Layers).Select(_ => nn.LayerNorm(D)).ToArray());
            // per layer: qkv, out, ff1, ff2
            linears = new ModuleList<Linear>(Enumerable.Range(0, Layers).SelectMany(_ => new[]
                { nn.Linear(D, 3 * D), nn.Linear(D, D), nn.Linear(D, 4 * D), nn.Linear(4 * D, D) }).ToArray());
            finalNorm = nn.LayerNorm(D);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (b, t) = (x.shape[0], x.shape[1]);
            var c = F.conv1d(x.transpose(1, 2), conv, padding: 1);
            counters.Check(c, conv: true);
            var e = F.dropout(c.transpose(1, 2) * Math.Sqrt(D), 0.1, training);
            for (int l = 0; l < Layers; l++)
            {
                var y = norms[2 * l].forward(e);
                var parts = linears[4 * l].forward(y).view(b, t, 3, H, D / H).permute(2, 0, 3, 1, 4);
                var attn = F.scaled_dot_product_attention(parts[0], parts[1], parts[2], p: training ? 0.1 : 0.0);
                counters.Check(attn, conv: false);
                e = e + F.dropout(linears[4 * l + 1].forward(attn.transpose(1, 2).reshape(b, t, D)), 0.1, training);
                var f = linears[4 * l + 3].forward(F.dropout(F.relu(linears[4 * l + 2].forward(norms[2 * l + 1].forward(e))), 0.1, training));
                e = e + F.dropout(f, 0.1, training);
            }
            return finalNorm.forward(e).mean(new long[] { 1 });
        }
    }

    public static Result Run(int steps, int seed, TextWriter? log = null)
    {
        var counters = new NumericsTrainingProbeCounters();
        int[] dims = { 300, 5, 20 };
        const int N = 1284, T = 50, Batch = 128;
        torch.random.manual_seed(seed);
        var encoders = dims.Select(d => new OldEncoder(d, counters)).ToArray();
        var head = nn.Linear(3 * 40, 1);
        var parameters = encoders.SelectMany(e => e.parameters()).Concat(head.parameters()).ToList();
        using var optimizer = optim.Adam(parameters, lr: 1e-3);
        Tensor[] data; Tensor labels;
        using (var s = NewDisposeScope())
        {
            using var gen = new Generator((ulong)seed + 1, CPU);
            data = dims.Select(d => randn(new long[] { N, T, d }, generator: gen).DetachFromDisposeScope()).ToArray();
            labels = (rand(new long[] { N, 1 }, generator: gen) * 6 - 3).DetachFromDisposeScope();
        }
        var rng = new Random(seed);
        int step = 0, partial = 0, lossBad = 0, gradBad = 0;
        double first = double.NaN, last = double.NaN;
        var clock = Stopwatch.StartNew();
        while (step < steps)
        {
            var order = Enumerable.Range(0, N).OrderBy(_ => rng.Next()).ToArray();
            for (int start = 0; start < N && step < steps; start += Batch, step++)
            {
                using var scope = NewDisposeScope();
                var idx = tensor(order.Skip(start).Take(Batch).Select(i => (long)i).ToArray());
                if (idx.shape[0] < Batch) partial++;
                var feats = new Tensor[dims.Length];
                for (int m = 0; m < dims.Length; m++)
                {
                    var x = data[m].index_select(0, idx);
                    var present = (rand(new long[] { idx.shape[0], 1, 1 }) > 0.3).to(ScalarType.Float32);   // missing modality: whole input 0
                    var frames = (rand(new long[] { idx.shape[0], T, 1 }) > 0.2).to(ScalarType.Float32);    // zeroed frames: rows exactly 0
                    feats[m] = encoders[m].forward(x * present * frames);
                }
                var pred = head.forward(cat(feats, 1));
                var loss = F.l1_loss(pred, labels.index_select(0, idx));
                optimizer.zero_grad();
                loss.backward();
                double l = loss.item<float>();
                if (!double.IsFinite(l)) { lossBad++; log?.WriteLine($"    NON-FINITE loss at step {step}"); continue; }
                double norm = nn.utils.clip_grad_norm_(parameters, 1.0);
                if (!double.IsFinite(norm)) { gradBad++; log?.WriteLine($"    NON-FINITE gradient norm at step {step}"); continue; }
                optimizer.step();
                if (double.IsNaN(first)) first = l;
                last = l;
            }
        }
        foreach (var t in data) t.Dispose();
        labels.Dispose();
        foreach (var e in encoders) e.Dispose();
        head.Dispose();
        return new Result(step, partial, counters.ConvCalls, counters.ConvBad, counters.AttentionCalls, counters.AttentionBad,
                          lossBad, gradBad, first, last, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>Counts kernel outputs with any non-finite value.</summary>
public sealed class NumericsTrainingProbeCounters
{
    public long ConvCalls, ConvBad, AttentionCalls, AttentionBad;

    public void Check(Tensor y, bool conv)
    {
        bool bad;
        using (no_grad()) using (var f = y.isfinite().all()) bad = !f.item<bool>();
        if (conv) { ConvCalls++; if (bad) ConvBad++; } else { AttentionCalls++; if (bad) AttentionBad++; }
    }
}
