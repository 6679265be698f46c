using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Model;

/// <summary>
/// Multi-head self-attention softmax(Q K^T / sqrt(dh)) V with dropout on the weights, for many narrow heads
/// (the kit's 10 heads of width 4), written in C# as one forward and one backward pass per (sample, head).
/// <para>
/// Why: written out in libtorch ops, each head's (T x dh)(dh x T) product is a separate MKL sgemm call whose fixed
/// costs (dispatch, packing, beta scaling) dwarf its 10k multiply-adds; on the EPYC, MKL's sgemm (these calls
/// and the model's own GEMMs) took 41% of a training step. Here the scores, softmax, dropout and weighted sum stay in
/// a few tens of KB of per-thread scratch per (sample, head) (L1/L2-resident), read straight from the qkv Linear's
/// (B, T, 3d) output and written straight into the (B, T, d) layout the output projection takes, so the head
/// split/merge copies go too.
/// </para>
/// <para>
/// Work is laid out for instruction-level parallelism: each phase (scores and row maxima, exponentials and row sums,
/// weighted sums; in backward dP and row dots, dS and dQ, then dV and dK accumulated over rows in registers) runs
/// over all rows of a head, so the rows' independent reductions overlap; lane sums use horizontal adds. None of this
/// changes an operation or its order, so the bits are those of the first, row-at-a-time version.
/// </para>
/// <para>
/// The same math as <see cref="Reference"/> (the kit's attention before this kernel, kept for non-CPU devices and as
/// the tests' reference), but not the same rounding: dot products and sums run in a fixed order over 8-lane
/// vectors, exp is the polynomial in <see cref="Exp"/>. Plain multiplies and adds only (no FMA), in the same order
/// for every CPU and thread count, so this kernel's bits depend on neither. The dropout mask is
/// <see cref="FastDropout.Mask"/>'s law over the (B, H, T, T) weights, drawn as before (so a seed fixes the same
/// masks), but held as bits (<see cref="FastDropout.MaskBits"/>): 0.4 MB instead of 12.8 MB at the MOSI shape.
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
        using var mask = drop ? FastDropout.MaskBits(b * heads * t * t, dropout) : null;   // FastDropout.Mask's law over (B, H, T, T), as bits
        float keepScale = (float)(1 / (1 - dropout));   // a kept weight's factor, as FastDropout's float mask holds it
        if (is_grad_enabled() && qkv.requires_grad) return Function.apply(qkv, mask, heads, keepScale);
        using var x = qkv.contiguous();
        return Forward(x, mask, heads, keepScale, saveWeights: false).Output;
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
            var (qkv, mask, heads, keepScale) = ((Tensor)vars[0], vars[1] as Tensor, (int)vars[2], (float)vars[3]);
            var x = qkv.contiguous();
            var (output, weights) = Forward(x, mask, heads, keepScale, saveWeights: true);
            ctx.save_for_backward(new List<Tensor> { x, weights!, mask! });
            ctx.save_data("heads", heads);
            ctx.save_data("scale", keepScale);
            return output;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var (qkv, weights, mask) = (saved[0], saved[1], saved[2]);
            var grad = Backward(qkv, weights, mask, gradOutput.contiguous(), (int)ctx.get_data("heads"), (float)ctx.get_data("scale"));
            return new List<Tensor> { grad.MoveToOuterDisposeScope(), null!, null!, null! };
        }
    }

    private readonly record struct Shape(int B, int T, int H, int Dh)
    {
        public int D => H * Dh;
        public int T8 => (T + 7) & ~7;   // a row padded to whole 8-lane vectors
    }

    private static Shape ShapeOf(Tensor qkv, int heads) => new((int)qkv.shape[0], (int)qkv.shape[1], heads, (int)qkv.shape[2] / 3 / heads);

    /// <summary>Output (B, T, d), and when <paramref name="saveWeights"/> the softmax weights before dropout for backward:
    /// (B, H, T, T8), each row padded with zeros to whole 8-lane vectors, the layout the kernel computes them in.</summary>
    private static unsafe (Tensor Output, Tensor? Weights) Forward(Tensor qkv, Tensor? mask, int heads, float keepScale, bool saveWeights)
    {
        var s = ShapeOf(qkv, heads);
        var output = empty(new long[] { s.B, s.T, s.D }, ScalarType.Float32);   // host: the kernel runs on CPU tensors only (Apply)
        var weights = saveWeights ? empty(new long[] { s.B, s.H, s.T, s.T8 }, ScalarType.Float32) : null;   // host: as above
        float* x = Ptr(qkv), o = Ptr(output), w = weights is null ? null : Ptr(weights);
        byte* m = mask is null ? null : BytePtr(mask);
        float scale = (float)(1 / Math.Sqrt(s.Dh));
        ForEachSample(s.B, ForwardScratch(s), (b, scratch) => { for (int h = 0; h < s.H; h++) ForwardHead(s, b, h, scale, x, m, keepScale, o, w, (float*)scratch); });
        return (output, weights);
    }

    private static unsafe Tensor Backward(Tensor qkv, Tensor weights, Tensor? mask, Tensor gradOutput, int heads, float keepScale)
    {
        var s = ShapeOf(qkv, heads);
        var grad = empty(new long[] { s.B, s.T, 3 * s.D }, ScalarType.Float32);   // host: as above
        float* x = Ptr(qkv), w = Ptr(weights), go = Ptr(gradOutput), g = Ptr(grad);
        byte* m = mask is null ? null : BytePtr(mask);
        float scale = (float)(1 / Math.Sqrt(s.Dh));
        ForEachSample(s.B, BackwardScratch(s), (b, scratch) => { for (int h = 0; h < s.H; h++) BackwardHead(s, b, h, scale, x, w, m, keepScale, go, g, (float*)scratch); });
        return grad;
    }

    /// <summary>Samples in parallel over libtorch's intra-op thread count, each worker with its own scratch of
    /// <paramref name="scratchFloats"/> floats (64-byte aligned); each (sample, head) is computed alone, so the results
    /// do not depend on the thread count.</summary>
    private static unsafe void ForEachSample(int batch, long scratchFloats, Action<int, nint> body)
    {
        nint Alloc() => (nint)NativeMemory.AlignedAlloc((nuint)(scratchFloats * sizeof(float)), 64);
        void Free(nint p) => NativeMemory.AlignedFree((void*)p);
        int threads = Math.Min(get_num_threads(), batch);
        if (threads <= 1)
        {
            var scratch = Alloc();
            try { for (int b = 0; b < batch; b++) body(b, scratch); }
            finally { Free(scratch); }
            return;
        }
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, Alloc,
                     (b, _, scratch) => { body(b, scratch); return scratch; }, Free);
    }

    /// <summary>The tensor's first float (TorchSharp exposes CPU memory as a byte span, so at most int.MaxValue bytes: see <see cref="Fits"/>).</summary>
    private static unsafe float* Ptr(Tensor t) => (float*)BytePtr(t);

    private static unsafe byte* BytePtr(Tensor t) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Whether every tensor of the kernel (qkv and the (B, H, T, T8) weights) fits TorchSharp's byte span; else the ops run.</summary>
    private static bool Fits(long b, long t, long d3, long heads) => b * Math.Max(heads * t * ((t + 7) & ~7), t * d3) * sizeof(float) <= int.MaxValue;

    /// <summary>Forward's buffers per (sample, head), in floats: q (T, dh), k^T and v^T (dh, T8), a mask row and a dropped
    /// weight row (T8), the rows' maxima and inverse sums (T each) and the weights (T, T8) when they are not saved.</summary>
    private static long ForwardScratch(Shape s) => (long)s.T * s.Dh + (2L * s.Dh + 2) * s.T8 + 2L * s.T + (long)s.T * s.T8;

    /// <summary>Backward's buffers per (sample, head), in floats: q (T, dh), k^T, v^T, dK^T, dV^T (dh, T8), a mask row (T8),
    /// the rows' sums (T) and two (T, T8) tables: the dropped weights P o M and dS (P itself is read in place).</summary>
    private static long BackwardScratch(Shape s) => (long)s.T * s.Dh + (4L * s.Dh + 1) * s.T8 + s.T + 2L * s.T * s.T8;

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

    /// <summary>Row <paramref name="offset"/> of the (B, H, T, T) mask (<see cref="FastDropout.MaskBits"/>: element f kept
    /// when bit f % 8 of byte f / 8 is set) as floats into a T8 buffer: <paramref name="keepScale"/> or 0, 0 in the pad.</summary>
    private static unsafe void LoadMaskRow(Shape s, byte* bits, long offset, float keepScale, float* dst)
    {
        var lanes = Vector256.Create(1u, 2, 4, 8, 16, 32, 64, 128);
        var kept = Vector256.Create(keepScale);
        for (int j = 0; j < s.T8; j += 8)
        {
            long f = offset + j;
            uint eight = (uint)(Unsafe.ReadUnaligned<ulong>(bits + (f >> 3)) >> (int)(f & 7)) & 0xFF;   // MaskBits pads 8 bytes, so this read stays inside
            if (j + 8 > s.T) eight &= (1u << (s.T - j)) - 1;
            Store(dst + j, Vector256.Equals(Vector256.Create(eight) & lanes, lanes).AsSingle() & kept);
        }
    }

    private static unsafe void ForwardHead(Shape s, int b, int h, float scale, float* qkv, byte* mask, float keepScale, float* output, float* weights, float* scratch)
    {
        int t8 = s.T8, dh = s.Dh;
        float* q = scratch, kt = q + s.T * dh, vt = kt + dh * t8, mrow = vt + dh * t8, dropped = mrow + t8, rowMax = dropped + t8, rowInv = rowMax + s.T;
        long head = (long)b * s.H + h;
        // (T, T8): the scores, then e^(score - max), then the weights; computed in place in the saved weights when there are any
        float* p = weights != null ? weights + head * s.T * t8 : rowInv + s.T;
        LoadHead(s, b, h, scale, qkv, q, kt, vt);
        Softmax(s, q, kt, p, rowMax, rowInv);
        for (int i = 0; i < s.T; i++)
        {
            float* pi = p + (long)i * t8;
            var inv = Vector256.Create(rowInv[i]);
            for (int j = 0; j < t8; j += 8) Store(pi + j, Load(pi + j) * inv);
            if (mask != null)   // the weights after dropout
            {
                LoadMaskRow(s, mask, (head * s.T + i) * s.T, keepScale, mrow);
                for (int j = 0; j < t8; j += 8) Store(dropped + j, Load(pi + j) * Load(mrow + j));
            }
            RowTimesColumns(mask != null ? dropped : pi, vt, t8, dh, output + ((long)b * s.T + i) * s.D + h * dh, 1f, fromZero: false);
        }
    }

    /// <summary>dst[k] = (sum over j of row[j] c[k, j]) * factor for k &lt; n, c (n, T8) row-major: each sum over 8-lane
    /// products accumulated in j order (from +0 when <paramref name="fromZero"/>, as backward always did, else from the
    /// first product), then its lanes summed as in <see cref="Sum"/>; four k at a time.</summary>
    private static unsafe void RowTimesColumns(float* row, float* c, int t8, int n, float* dst, float factor, bool fromZero)
    {
        var start = Vector256<float>.Zero;
        int k = 0;
        for (; k + 4 <= n; k += 4)
        {
            float* c0 = c + k * t8, c1 = c0 + t8, c2 = c1 + t8, c3 = c2 + t8;
            var r = Load(row);
            Vector256<float> a0 = r * Load(c0), a1 = r * Load(c1), a2 = r * Load(c2), a3 = r * Load(c3);
            if (fromZero) { a0 = start + a0; a1 = start + a1; a2 = start + a2; a3 = start + a3; }
            for (int j = 8; j < t8; j += 8)
            {
                r = Load(row + j);
                a0 += r * Load(c0 + j); a1 += r * Load(c1 + j); a2 += r * Load(c2 + j); a3 += r * Load(c3 + j);
            }
            (Sum4(a0, a1, a2, a3) * factor).Store(dst + k);
        }
        for (; k < n; k++)
        {
            var acc = Load(row) * Load(c + k * t8);
            if (fromZero) acc = start + acc;
            for (int j = 8; j < t8; j += 8) acc += Load(row + j) * Load(c + k * t8 + j);
            dst[k] = Sum(acc) * factor;
        }
    }

    /// <summary>Row i of p (T, T8) = e^(q_i . k_j - max over j) for j &lt; T and 0 in the pad, rowInv[i] = 1 / its sum
    /// (q already scaled); the weights are p's rows times rowInv. In passes over all rows (scores and maxima, then
    /// exponentials and sums), so that independent rows overlap instead of each row's reductions waiting in turn.</summary>
    private static unsafe void Softmax(Shape s, float* q, float* kt, float* p, float* rowMax, float* rowInv)
    {
        int t8 = s.T8, last = t8 - 8, dh = s.Dh;
        var pad = Pad(s.T - last);
        for (int i = 0; i < s.T; i++)
        {
            float* qi = q + i * dh, pi = p + (long)i * t8;
            var max = Vector256.Create(float.NegativeInfinity);
            for (int j = 0; j < t8; j += 8)
            {
                float* kk = kt + j;
                var acc = Vector256.Create(qi[0]) * Load(kk);
                for (int k = 1; k < dh; k++) acc += Vector256.Create(qi[k]) * Load(kk += t8);
                if (j == last) acc = Vector256.ConditionalSelect(pad, Vector256.Create(float.NegativeInfinity), acc);
                Store(pi + j, acc);
                max = Vector256.MaxNative(max, acc);   // plain vmaxps: exact for finite scores
            }
            rowMax[i] = Max(max);
        }
        for (int i = 0; i < s.T; i++)
        {
            float* pi = p + (long)i * t8;
            var m = Vector256.Create(rowMax[i]);
            var sum = Vector256<float>.Zero;
            for (int j = 0; j < t8; j += 8)
            {
                var e = Exp(Load(pi + j) - m);
                if (j == last) e = Vector256.ConditionalSelect(pad, Vector256<float>.Zero, e);
                Store(pi + j, e);
                sum += e;
            }
            rowInv[i] = 1f / Sum(sum);
        }
    }

    /// <summary>All-ones lanes from lane <paramref name="valid"/> on (the pad of a row's last vector).</summary>
    private static Vector256<float> Pad(int valid) =>
        Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(valid)).AsSingle();

    private static unsafe void BackwardHead(Shape s, int b, int h, float scale, float* qkv, float* weights, byte* mask, float keepScale, float* gradOut, float* grad, float* scratch)
    {
        int t8 = s.T8, dh = s.Dh, d3 = 3 * s.D;
        float* q = scratch, kt = q + s.T * dh, vt = kt + dh * t8, dkt = vt + dh * t8, dvt = dkt + dh * t8;
        float* mrow = dvt + dh * t8, rowDot = mrow + t8, pm = rowDot + s.T, ds = pm + (long)s.T * t8;   // pm, ds: (T, T8)
        LoadHead(s, b, h, scale, qkv, q, kt, vt);
        for (int j = 0; j < t8; j++) mrow[j] = mask == null && j < s.T ? 1f : 0f;
        long head = (long)b * s.H + h;
        float* p = weights + head * s.T * t8;   // the saved weights (T, T8), zero in the pads: zero gradients there
        float* gRow = grad + (long)b * s.T * d3 + h * dh;
        float* goHead = gradOut + (long)b * s.T * s.D + h * dh;   // row i at goHead + i * D
        // Pass 1, per row: dP = (dO V^T) o M (kept in ds), P o M (kept for dV), rowsum(P o dP). Rows are independent.
        for (int i = 0; i < s.T; i++)
        {
            float* pi = p + (long)i * t8, go = goHead + (long)i * s.D, pmi = pm + (long)i * t8, dsi = ds + (long)i * t8;
            if (mask != null) LoadMaskRow(s, mask, (head * s.T + i) * s.T, keepScale, mrow);
            var dot = Vector256<float>.Zero;
            for (int j = 0; j < t8; j += 8)
            {
                var mj = Load(mrow + j);
                float* vv = vt + j;
                var dw = Vector256.Create(go[0]) * Load(vv);
                for (int k = 1; k < dh; k++) dw += Vector256.Create(go[k]) * Load(vv += t8);
                Store(pmi + j, Load(pi + j) * mj);
                var dp = dw * mj;
                Store(dsi + j, dp);
                dot += Load(pi + j) * dp;
            }
            rowDot[i] = Sum(dot);
        }
        // Pass 2, per row: dS = P o (dP - rowsum(P o dP)) ; dQ = dS K * scale
        for (int i = 0; i < s.T; i++)
        {
            float* pi = p + (long)i * t8, dsi = ds + (long)i * t8;
            var rd = Vector256.Create(rowDot[i]);
            for (int j = 0; j < t8; j += 8) Store(dsi + j, Load(pi + j) * (Load(dsi + j) - rd));
            RowTimesColumns(dsi, kt, t8, dh, gRow + (long)i * d3, scale, fromZero: true);
        }
        // dV = (P o M)^T dO ; dK = dS^T Q(scaled): each element a sum over rows i in order
        AccumulateOverRows(pm, goHead, s.D, s.T, t8, dh, dvt);
        AccumulateOverRows(ds, q, dh, s.T, t8, dh, dkt);
        for (int t = 0; t < s.T; t++)
            for (int k = 0; k < dh; k++)
            {
                gRow[(long)t * d3 + s.D + k] = dkt[k * t8 + t];
                gRow[(long)t * d3 + 2 * s.D + k] = dvt[k * t8 + t];
            }
    }

    /// <summary>dst[k, j] = sum over i = 0..rows-1, in order, of a[i, j] c[i * cStride + k], for k &lt; n: a (rows, T8), dst (n, T8);
    /// four k at a time in registers.</summary>
    private static unsafe void AccumulateOverRows(float* a, float* c, int cStride, int rows, int t8, int n, float* dst)
    {
        for (int j = 0; j < t8; j += 8)
        {
            int k = 0;
            for (; k + 4 <= n; k += 4)
            {
                Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
                float* ai = a + j, ci = c + k;
                for (int i = 0; i < rows; i++, ai += t8, ci += cStride)
                {
                    var x = Load(ai);
                    d0 += x * Vector256.Create(ci[0]); d1 += x * Vector256.Create(ci[1]);
                    d2 += x * Vector256.Create(ci[2]); d3 += x * Vector256.Create(ci[3]);
                }
                Store(dst + k * t8 + j, d0); Store(dst + (k + 1) * t8 + j, d1);
                Store(dst + (k + 2) * t8 + j, d2); Store(dst + (k + 3) * t8 + j, d3);
            }
            for (; k < n; k++)
            {
                var d0 = Vector256<float>.Zero;
                float* ai = a + j, ci = c + k;
                for (int i = 0; i < rows; i++, ai += t8, ci += cStride) d0 += Load(ai) * Vector256.Create(ci[0]);
                Store(dst + k * t8 + j, d0);
            }
        }
    }

    private static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
    private static unsafe void Store(float* p, Vector256<float> v) => v.Store(p);

    /// <summary>The lanes' sum in a fixed order: ((0+1)+(2+3)) + ((4+5)+(6+7)); with AVX, two horizontal adds
    /// (vhaddps) in that same order.</summary>
    private static float Sum(Vector256<float> v)
    {
        if (Avx.IsSupported)
        {
            var h = Avx.HorizontalAdd(v, v);
            h = Avx.HorizontalAdd(h, h);
            return h.ToScalar() + h.GetUpper().ToScalar();
        }
        return ((v.GetElement(0) + v.GetElement(1)) + (v.GetElement(2) + v.GetElement(3))) + ((v.GetElement(4) + v.GetElement(5)) + (v.GetElement(6) + v.GetElement(7)));
    }

    /// <summary>Four vectors' <see cref="Sum"/>s at once, in the same order (three vhaddps and one add with AVX).</summary>
    private static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        if (Avx.IsSupported)
        {
            var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a, b), Avx.HorizontalAdd(c, d));   // lanes 0-3: a..d's (0+1)+(2+3); 4-7: (4+5)+(6+7)
            return h.GetLower() + h.GetUpper();
        }
        return Vector128.Create(Sum(a), Sum(b), Sum(c), Sum(d));
    }

    /// <summary>The largest lane (exact for finite lanes, in any order).</summary>
    private static float Max(Vector256<float> v)
    {
        var m = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        m = Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
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
