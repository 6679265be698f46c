using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Model;

/// <summary>
/// Multi-head self-attention softmax(Q K^T / sqrt(dh)) V with dropout on the weights, for many narrow heads
/// (the kit's 10 heads of width 4), written in C# as one forward and one backward pass per (sample, head).
/// <para>
/// Why: written out in libtorch ops, each head's (T x dh)(dh x T) product is a separate MKL sgemm call whose fixed
/// costs (dispatch, packing, beta scaling) dwarf its 10k multiply-adds; on the EPYC, MKL's sgemm (these calls
/// and the model's own GEMMs) took 41% of a training step. Here the scores, softmax, dropout and weighted sum stay in a few KB of stack per (sample, head),
/// read straight from the qkv Linear's (B, T, 3d) output and written straight into the (B, T, d) layout the output
/// projection takes, so the head split/merge copies go too.
/// </para>
/// <para>
/// The same math as <see cref="Reference"/> (the kit's attention before this kernel, kept for non-CPU devices and as
/// the tests' reference), but not the same rounding: dot products and sums run in a fixed order over 8-lane
/// vectors, exp is the polynomial in <see cref="Exp"/>. Plain multiplies and adds only (no FMA), in the same order
/// for every CPU and thread count, so this kernel's bits depend on neither. The dropout mask is
/// <see cref="FastDropout.Mask"/> over the (B, H, T, T) weights, drawn as before, so a seed fixes the same masks.
/// </para>
/// </summary>
[SkipLocalsInit]
public static class NarrowHeadAttention
{
    /// <summary>Attention over <paramref name="qkv"/> (B, T, 3d: all heads' q, then k, then v, as the qkv Linear
    /// gives them); returns (B, T, d) with head h in columns h*dh .. h*dh+dh-1.</summary>
    public static Tensor Apply(Tensor qkv, int heads, double dropout, bool training)
    {
        if (qkv.dim() != 3 || qkv.shape[2] % (3 * heads) != 0)
            throw new ArgumentException($"attention: expected qkv (B, T, 3*d) with d a multiple of {heads} heads, got [{string.Join(",", qkv.shape)}]");
        bool drop = training && dropout > 0;
        var (b, t) = (qkv.shape[0], qkv.shape[1]);
        if (qkv.device_type != DeviceType.CPU || qkv.dtype != ScalarType.Float32 || !Fits(b, t, qkv.shape[2], heads))   // host: the kernel is for CPU tensors; other devices take the ops
            return Reference(qkv, heads, w => FastDropout.Apply(w, dropout, drop));
        using var mask = drop ? FastDropout.Mask(new[] { b, heads, t, t }, dropout) : null;
        if (is_grad_enabled() && qkv.requires_grad) return Function.apply(qkv, mask, heads);
        using var x = qkv.contiguous();
        return Forward(x, mask, heads, saveWeights: false).Output;
    }

    /// <summary>The same attention in libtorch ops (per-head matmuls, softmax); <paramref name="drop"/> acts on the weights.</summary>
    public static Tensor Reference(Tensor qkv, int heads, Func<Tensor, Tensor> drop)
    {
        using var scope = NewDisposeScope();
        var (b, t, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3);
        var parts = qkv.view(b, t, 3, heads, d / heads).permute(2, 0, 3, 1, 4);                      // (3, B, H, T, dh)
        var scores = (parts[0] * (1 / Math.Sqrt(d / heads))).matmul(parts[1].transpose(-2, -1));   // (B, H, T, T)
        var attn = drop(nn.functional.softmax(scores, -1)).matmul(parts[2]);                        // (B, H, T, dh)
        return attn.transpose(1, 2).reshape(b, t, d).MoveToOuterDisposeScope();
    }

    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => nameof(NarrowHeadAttention);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (qkv, mask, heads) = ((Tensor)vars[0], vars[1] as Tensor, (int)vars[2]);
            var x = qkv.contiguous();
            var (output, weights) = Forward(x, mask, heads, saveWeights: true);
            ctx.save_for_backward(new List<Tensor> { x, weights!, mask! });
            ctx.save_data("heads", heads);
            return output;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var (qkv, weights, mask) = (saved[0], saved[1], saved[2]);
            var grad = Backward(qkv, weights, mask, gradOutput.contiguous(), (int)ctx.get_data("heads"));
            return new List<Tensor> { grad.MoveToOuterDisposeScope(), null!, null! };
        }
    }

    private readonly record struct Shape(int B, int T, int H, int Dh)
    {
        public int D => H * Dh;
        public int T8 => (T + 7) & ~7;   // a row padded to whole 8-lane vectors
    }

    private static Shape ShapeOf(Tensor qkv, int heads) => new((int)qkv.shape[0], (int)qkv.shape[1], heads, (int)qkv.shape[2] / 3 / heads);

    /// <summary>Output (B, T, d), and when <paramref name="saveWeights"/> the softmax weights before dropout (B, H, T, T) for backward.</summary>
    private static unsafe (Tensor Output, Tensor? Weights) Forward(Tensor qkv, Tensor? mask, int heads, bool saveWeights)
    {
        var s = ShapeOf(qkv, heads);
        var output = empty(new long[] { s.B, s.T, s.D }, ScalarType.Float32);   // host: the kernel runs on CPU tensors only (Apply)
        var weights = saveWeights ? empty(new long[] { s.B, s.H, s.T, s.T }, ScalarType.Float32) : null;   // host: as above
        float* x = Ptr(qkv), o = Ptr(output), w = weights is null ? null : Ptr(weights), m = mask is null ? null : Ptr(mask);
        float scale = (float)(1 / Math.Sqrt(s.Dh));
        ForEachSample(s.B, b => { for (int h = 0; h < s.H; h++) ForwardHead(s, b, h, scale, x, m, o, w); });
        return (output, weights);
    }

    private static unsafe Tensor Backward(Tensor qkv, Tensor weights, Tensor? mask, Tensor gradOutput, int heads)
    {
        var s = ShapeOf(qkv, heads);
        var grad = empty(new long[] { s.B, s.T, 3 * s.D }, ScalarType.Float32);   // host: as above
        float* x = Ptr(qkv), w = Ptr(weights), m = mask is null ? null : Ptr(mask), go = Ptr(gradOutput), g = Ptr(grad);
        float scale = (float)(1 / Math.Sqrt(s.Dh));
        ForEachSample(s.B, b => { for (int h = 0; h < s.H; h++) BackwardHead(s, b, h, scale, x, w, m, go, g); });
        return grad;
    }

    /// <summary>Samples in parallel over libtorch's intra-op thread count; each (sample, head) is computed alone, so
    /// the results do not depend on the thread count.</summary>
    private static void ForEachSample(int batch, Action<int> body)
    {
        int threads = Math.Min(get_num_threads(), batch);
        if (threads <= 1) { for (int b = 0; b < batch; b++) body(b); return; }
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>The tensor's first float (TorchSharp exposes CPU memory as a byte span, so at most int.MaxValue bytes: see <see cref="Fits"/>).</summary>
    private static unsafe float* Ptr(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Whether every tensor of the kernel (qkv and the (B, H, T, T) weights) fits TorchSharp's byte span, and
    /// one (sample, head)'s buffers (backward's: (5 dh + 3) T8 floats) fit 256 KB of stack; else the ops run.</summary>
    private static bool Fits(long b, long t, long d3, long heads) =>
        b * Math.Max(heads * t * t, t * d3) * sizeof(float) <= int.MaxValue && (5 * (d3 / 3 / heads) + 3) * ((t + 7) & ~7) * sizeof(float) <= 256 * 1024;

    /// <summary>The (sample b, head h) slice of q (scaled), k and v: q row-major (T, dh); k and v transposed (dh, T8), zero-padded.</summary>
    private static unsafe void LoadHead(Shape s, int b, int h, float scale, float* qkv, float* q, float* kt, float* vt)
    {
        int d3 = 3 * s.D, t8 = s.T8;
        float* row = qkv + (long)b * s.T * d3 + h * s.Dh;
        for (int t = 0; t < s.T; t++, row += d3)
            for (int k = 0; k < s.Dh; k++)
            {
                q[t * s.Dh + k] = row[k] * scale;
                kt[k * t8 + t] = row[s.D + k];
                vt[k * t8 + t] = row[2 * s.D + k];
            }
        for (int k = 0; k < s.Dh; k++)
            for (int t = s.T; t < t8; t++) kt[k * t8 + t] = vt[k * t8 + t] = 0;
    }

    /// <summary>Row <paramref name="offset"/> of the (B, H, T, T) mask into a T8 buffer whose pad is zero (set once per head).</summary>
    private static unsafe void LoadMaskRow(Shape s, float* mask, long offset, float* dst) =>
        new Span<float>(mask + offset, s.T).CopyTo(new Span<float>(dst, s.T));

    private static unsafe void ForwardHead(Shape s, int b, int h, float scale, float* qkv, float* mask, float* output, float* weights)
    {
        int t8 = s.T8, dh = s.Dh;
        float* q = stackalloc float[s.T * dh];
        float* kt = stackalloc float[dh * t8];
        float* vt = stackalloc float[dh * t8];
        float* p = stackalloc float[t8];
        float* mrow = stackalloc float[t8];
        LoadHead(s, b, h, scale, qkv, q, kt, vt);
        for (int j = s.T; j < t8; j++) mrow[j] = 0;
        long slice = ((long)b * s.H + h) * s.T * s.T;
        for (int i = 0; i < s.T; i++)
        {
            Softmax(s, q + i * dh, kt, p);
            if (weights != null) new Span<float>(p, s.T).CopyTo(new Span<float>(weights + slice + (long)i * s.T, s.T));
            if (mask != null)   // the weights after dropout, in place
            {
                LoadMaskRow(s, mask, slice + (long)i * s.T, mrow);
                for (int j = 0; j < t8; j += 8) Store(p + j, Load(p + j) * Load(mrow + j));
            }
            float* o = output + ((long)b * s.T + i) * s.D + h * dh;
            for (int k = 0; k < dh; k++)
            {
                var acc = Load(p) * Load(vt + k * t8);
                for (int j = 8; j < t8; j += 8) acc += Load(p + j) * Load(vt + k * t8 + j);
                o[k] = Sum(acc);
            }
        }
    }

    /// <summary>p[0..T) = softmax over j of q_i . k_j (q already scaled); p[T..T8) = 0.</summary>
    private static unsafe void Softmax(Shape s, float* qi, float* kt, float* p)
    {
        int t8 = s.T8, last = t8 - 8;
        var max = Vector256.Create(float.NegativeInfinity);
        for (int j = 0; j < t8; j += 8)
        {
            var acc = Vector256.Create(qi[0]) * Load(kt + j);
            for (int k = 1; k < s.Dh; k++) acc += Vector256.Create(qi[k]) * Load(kt + k * t8 + j);
            if (j == last) acc = Vector256.ConditionalSelect(Pad(s.T - last), Vector256.Create(float.NegativeInfinity), acc);
            Store(p + j, acc);
            max = Vector256.MaxNative(max, acc);   // plain vmaxps: exact for finite scores
        }
        var m = Vector256.Create(Max(max));
        var sum = Vector256<float>.Zero;
        for (int j = 0; j < t8; j += 8)
        {
            var e = Exp(Load(p + j) - m);
            if (j == last) e = Vector256.ConditionalSelect(Pad(s.T - last), Vector256<float>.Zero, e);
            Store(p + j, e);
            sum += e;
        }
        var inv = Vector256.Create(1f / Sum(sum));
        for (int j = 0; j < t8; j += 8) Store(p + j, Load(p + j) * inv);
    }

    /// <summary>All-ones lanes from lane <paramref name="valid"/> on (the pad of a row's last vector).</summary>
    private static Vector256<float> Pad(int valid) =>
        Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(valid)).AsSingle();

    private static unsafe void BackwardHead(Shape s, int b, int h, float scale, float* qkv, float* weights, float* mask, float* gradOut, float* grad)
    {
        int t8 = s.T8, dh = s.Dh, d3 = 3 * s.D;
        float* q = stackalloc float[s.T * dh];
        float* kt = stackalloc float[dh * t8];
        float* vt = stackalloc float[dh * t8];
        float* dkt = stackalloc float[dh * t8];
        float* dvt = stackalloc float[dh * t8];
        float* p = stackalloc float[t8];
        float* mrow = stackalloc float[t8];
        float* ds = stackalloc float[t8];
        LoadHead(s, b, h, scale, qkv, q, kt, vt);
        new Span<float>(dkt, dh * t8).Clear();
        new Span<float>(dvt, dh * t8).Clear();
        for (int j = s.T; j < t8; j++) p[j] = 0;   // pads: zero weights, so zero gradients there
        for (int j = 0; j < t8; j++) mrow[j] = mask == null && j < s.T ? 1f : 0f;
        long slice = ((long)b * s.H + h) * s.T * s.T;
        float* gRow = grad + (long)b * s.T * d3 + h * dh;
        for (int i = 0; i < s.T; i++)
        {
            new Span<float>(weights + slice + (long)i * s.T, s.T).CopyTo(new Span<float>(p, s.T));
            if (mask != null) LoadMaskRow(s, mask, slice + (long)i * s.T, mrow);
            float* go = gradOut + ((long)b * s.T + i) * s.D + h * dh;
            // dV += (P o M)^T dO ;  dP = (dO V^T) o M
            var dot = Vector256<float>.Zero;
            for (int j = 0; j < t8; j += 8)
            {
                var mj = Load(mrow + j);
                var wj = Load(p + j) * mj;
                var dw = Vector256.Create(go[0]) * Load(vt + j);
                for (int k = 1; k < dh; k++) dw += Vector256.Create(go[k]) * Load(vt + k * t8 + j);
                for (int k = 0; k < dh; k++) Store(dvt + k * t8 + j, Load(dvt + k * t8 + j) + wj * Vector256.Create(go[k]));
                var dp = dw * mj;
                Store(ds + j, dp);
                dot += Load(p + j) * dp;
            }
            // dS = P o (dP - rowsum(P o dP)) ; dQ = dS K * scale ; dK += dS^T Q(scaled)
            var rowDot = Vector256.Create(Sum(dot));
            for (int j = 0; j < t8; j += 8) Store(ds + j, Load(p + j) * (Load(ds + j) - rowDot));
            float* gq = gRow + (long)i * d3;
            for (int k = 0; k < dh; k++)
            {
                var acc = Vector256<float>.Zero;
                for (int j = 0; j < t8; j += 8) acc += Load(ds + j) * Load(kt + k * t8 + j);
                gq[k] = Sum(acc) * scale;
            }
            for (int k = 0; k < dh; k++)
            {
                var qik = Vector256.Create(q[i * dh + k]);
                for (int j = 0; j < t8; j += 8) Store(dkt + k * t8 + j, Load(dkt + k * t8 + j) + Load(ds + j) * qik);
            }
        }
        for (int t = 0; t < s.T; t++)
            for (int k = 0; k < dh; k++)
            {
                gRow[(long)t * d3 + s.D + k] = dkt[k * t8 + t];
                gRow[(long)t * d3 + 2 * s.D + k] = dvt[k * t8 + t];
            }
    }

    private static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
    private static unsafe void Store(float* p, Vector256<float> v) => v.Store(p);

    /// <summary>The lanes' sum in a fixed order: ((0+1)+(2+3)) + ((4+5)+(6+7)).</summary>
    private static float Sum(Vector256<float> v) =>
        ((v.GetElement(0) + v.GetElement(1)) + (v.GetElement(2) + v.GetElement(3))) + ((v.GetElement(4) + v.GetElement(5)) + (v.GetElement(6) + v.GetElement(7)));

    private static float Max(Vector256<float> v)
    {
        float m = v.GetElement(0);
        for (int i = 1; i < 8; i++) m = Math.Max(m, v.GetElement(i));
        return m;
    }

    /// <summary>
    /// e^x for x &lt;= 0 (softmax's shifted scores), within about 2 ulp: x = n ln2 + r with |r| &lt;= ln2/2 (ln2 split in
    /// two parts so n ln2 is exact), e^r by its Taylor series to r^7 (truncation below 1e-8 relative), times 2^n
    /// built in the exponent bits. Inputs below -87 give e^-87 (~1.6e-38), which is 0 against a softmax sum &gt;= 1.
    /// </summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.MaxNative(Vector256.Create(-87f), x);   // a NaN x stays NaN (vmaxps returns its second operand)
        var n = Vector256.Floor(x * Vector256.Create(1.44269504f) + Vector256.Create(0.5f));
        var r = x - n * Vector256.Create(0.693359375f) - n * Vector256.Create(-2.12194440e-4f);
        var poly = Vector256.Create(1f / 5040);
        poly = poly * r + Vector256.Create(1f / 720);
        poly = poly * r + Vector256.Create(1f / 120);
        poly = poly * r + Vector256.Create(1f / 24);
        poly = poly * r + Vector256.Create(1f / 6);
        poly = poly * r + Vector256.Create(0.5f);
        poly = poly * r + Vector256<float>.One;
        poly = poly * r + Vector256<float>.One;
        var pow2 = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return poly * pow2;
    }
}
