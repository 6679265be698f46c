using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Bench;

/// <summary>How a trial's tensors live and die: the suspects from the kit side (issue 13).</summary>
public enum Lifetime
{
    /// <summary>Inputs, kernel call and comparison in one dispose scope.</summary>
    Scoped,
    /// <summary>Inputs made in an inner scope; the output (and the float64 reference) moved out; the inner scope is
    /// disposed, freed memory is poisoned with NaN-filled tensors of the same size, then the output is compared.</summary>
    OutputOutlivesInputs,
    /// <summary>The kernel's input is a view (transpose/permute) whose base's handle is disposed, and freed memory
    /// poisoned, before the kernel runs.</summary>
    InputViewOfDisposedBase,
    /// <summary>The kernel's input is a view whose base was left to the finaliser (GC.Collect + finalisers before the call).</summary>
    InputBaseFinalised,
    /// <summary>The forward's intermediates (a copy of the leaf fed to the kernel, the output handle) are disposed and
    /// memory poisoned between forward and backward; the graph must keep what it saved.</summary>
    BackwardAfterIntermediatesDisposed,
}

/// <summary>Input pattern: random normal, or with exact zeros as training's missing-modality protocols make.</summary>
public enum Fill { Random, ZeroFrames, AllZero, LargeLogits }

/// <summary>One harness case. Conv: (Batch, Channels, Time) -> Out, kernel 3, padding 1, no bias (the kit's shape).
/// Attention: (Batch, Heads, Time, HeadDim), dropout P. Mixed: each trial draws a random shape.</summary>
public sealed record NumericsCase(string Name, string Op, int Batch, int Channels, int Time, int Out, int Heads, int HeadDim,
                                  double P = 0, Fill Fill = Fill.Random, Lifetime Lifetime = Lifetime.Scoped, bool Mixed = false,
                                  bool TransposedInput = false);

/// <summary>Non-finite count and errors of one float32 tensor against its float64 reference; merged over tensors and trials.</summary>
public readonly record struct Comparison(long Elements, long NonFinite, long ReferenceNonFinite, double MaxAbs, double MaxRel)
{
    public static Comparison Empty => new(0, 0, 0, 0, 0);

    /// <summary>Worst of both (maxima of the errors, sums of the counts).</summary>
    public Comparison Merge(Comparison o) => new(Elements + o.Elements, NonFinite + o.NonFinite, ReferenceNonFinite + o.ReferenceNonFinite,
        Math.Max(MaxAbs, o.MaxAbs), Math.Max(MaxRel, o.MaxRel));

    /// <summary>True when nothing is non-finite and the relative error is within <paramref name="relTol"/>.</summary>
    public bool Ok(double relTol) => NonFinite == 0 && ReferenceNonFinite == 0 && MaxRel <= relTol;

    /// <summary>
    /// Compares <paramref name="actual"/> (any float dtype) with <paramref name="reference"/> (float64, same shape).
    /// MaxAbs = max |a - r| over the elements; MaxRel = MaxAbs / max |r| (norm-wise, so values near zero do not blow it up;
    /// 0 / 0 counts as 0). Any non-finite element in <paramref name="actual"/> makes both errors +Infinity.
    /// </summary>
    public static Comparison Of(Tensor actual, Tensor reference)
    {
        using var scope = NewDisposeScope();
        if (!actual.shape.SequenceEqual(reference.shape))
            throw new ArgumentException($"shape mismatch: [{string.Join(",", actual.shape)}] vs reference [{string.Join(",", reference.shape)}]");
        var a = actual.detach().to(ScalarType.Float64);
        var r = reference.detach().to(ScalarType.Float64);
        long bad = a.isfinite().logical_not().sum().item<long>();
        long refBad = r.isfinite().logical_not().sum().item<long>();
        if (bad > 0 || refBad > 0) return new(a.numel(), bad, refBad, double.PositiveInfinity, double.PositiveInfinity);
        if (a.numel() == 0) return new(0, 0, 0, 0, 0);
        double maxAbs = (a - r).abs().max().item<double>();
        double scale = r.abs().max().item<double>();
        return new(a.numel(), 0, 0, maxAbs, scale > 0 ? maxAbs / scale : maxAbs > 0 ? double.PositiveInfinity : 0);
    }
}

/// <summary>A case's figures over its trials.</summary>
public sealed class NumericsRow
{
    public required string Case { get; init; }
    public int Trials { get; set; }
    /// <summary>Trials with at least one non-finite value in an output or gradient.</summary>
    public int NonFiniteTrials { get; set; }
    /// <summary>Trials whose norm-wise relative error exceeded the tolerance (silently wrong values).</summary>
    public int OverTolerance { get; set; }
    public Comparison Forward { get; set; } = Comparison.Empty;
    public Comparison Backward { get; set; } = Comparison.Empty;
    public double Seconds { get; set; }
}

/// <summary>
/// `bench --only e` (numerics): libtorch's conv1d and fused scaled_dot_product_attention against float64
/// computations of the same op, over many shapes, seeds, input patterns and tensor lifetimes, forward and backward,
/// with and without dropout. Cases are interleaved trial by trial, so one process keeps switching shapes as
/// training does. <see cref="RunChildren"/> repeats the same trials in child processes under the suspects'
/// settings (oneDNN/MKL instruction-set caps, glibc's malloc, 2 threads) for a side-by-side table.
/// </summary>
public static class NumericsBench
{
    /// <summary>Norm-wise relative error above which a float32 result counts as wrong (float32 eps is 1.2e-7).</summary>
    public const double RelTolerance = 1e-4;

    /// <summary>Environment variable a child run reads: when "1", it also prints one machine-readable line per case.</summary>
    public const string ChildVariable = "CORRKD_NUMERICS_CHILD";

    public static IReadOnlyList<NumericsCase> Cases { get; } = new NumericsCase[]
    {
        // conv1d: the kit's three modality projections at the MOSI shape (text 300, audio 5, vision 20, T 50, d 40).
        new("conv text 128x300x50", "conv", 128, 300, 50, 40, 0, 0),
        new("conv audio 128x5x50", "conv", 128, 5, 50, 40, 0, 0),
        new("conv vision 128x20x50", "conv", 128, 20, 50, 40, 0, 0),
        new("conv last batch 4x300x50", "conv", 4, 300, 50, 40, 0, 0),
        new("conv last batch 4x5x50", "conv", 4, 5, 50, 40, 0, 0),
        new("conv zero frames 128x300x50", "conv", 128, 300, 50, 40, 0, 0, Fill: Fill.ZeroFrames),
        new("conv zero modality 128x5x50", "conv", 128, 5, 50, 40, 0, 0, Fill: Fill.AllZero),
        new("conv transposed view (old model) 128x300x50", "conv", 128, 300, 50, 40, 0, 0, TransposedInput: true),
        new("conv mixed shapes", "conv", 0, 0, 0, 40, 0, 0, Mixed: true),
        new("conv out outlives inputs", "conv", 128, 300, 50, 40, 0, 0, TransposedInput: true, Lifetime: Lifetime.OutputOutlivesInputs),
        new("conv input view, base disposed", "conv", 128, 20, 50, 40, 0, 0, TransposedInput: true, Lifetime: Lifetime.InputViewOfDisposedBase),
        new("conv input view, base finalised", "conv", 128, 5, 50, 40, 0, 0, TransposedInput: true, Lifetime: Lifetime.InputBaseFinalised),
        new("conv backward after disposal", "conv", 128, 300, 50, 40, 0, 0, TransposedInput: true, Lifetime: Lifetime.BackwardAfterIntermediatesDisposed),
        // fused attention: MOSI (B 128, 10 heads of width 4, T 50), MOSEI (16, 8 x 5), IEMOCAP (32, 10 x 4, T 20).
        new("sdpa mosi 128x10x50x4", "sdpa", 128, 0, 50, 0, 10, 4),
        new("sdpa mosi p=0.1", "sdpa", 128, 0, 50, 0, 10, 4, P: 0.1),
        new("sdpa last batch 4x10x50x4", "sdpa", 4, 0, 50, 0, 10, 4),
        new("sdpa last batch p=0.1", "sdpa", 4, 0, 50, 0, 10, 4, P: 0.1),
        new("sdpa mosei 16x8x50x5 p=0.1", "sdpa", 16, 0, 50, 0, 8, 5, P: 0.1),
        new("sdpa iemocap 32x10x20x4", "sdpa", 32, 0, 20, 0, 10, 4),
        new("sdpa zero frames 128x10x50x4", "sdpa", 128, 0, 50, 0, 10, 4, Fill: Fill.ZeroFrames),
        new("sdpa zero modality p=0.1", "sdpa", 128, 0, 50, 0, 10, 4, P: 0.1, Fill: Fill.AllZero),
        new("sdpa large logits (|qk|~1e3)", "sdpa", 128, 0, 50, 0, 10, 4, Fill: Fill.LargeLogits),
        new("sdpa permuted qkv view (old model)", "sdpa", 128, 0, 50, 0, 10, 4, P: 0.1, TransposedInput: true),
        new("sdpa mixed shapes", "sdpa", 0, 0, 0, 0, 0, 0, Mixed: true),
        new("sdpa out outlives inputs p=0.1", "sdpa", 128, 0, 50, 0, 10, 4, P: 0.1, TransposedInput: true, Lifetime: Lifetime.OutputOutlivesInputs),
        new("sdpa input view, base disposed", "sdpa", 128, 0, 50, 0, 10, 4, TransposedInput: true, Lifetime: Lifetime.InputViewOfDisposedBase),
        new("sdpa input view, base finalised", "sdpa", 128, 0, 50, 0, 10, 4, TransposedInput: true, Lifetime: Lifetime.InputBaseFinalised),
        new("sdpa backward after disposal p=0.1", "sdpa", 128, 0, 50, 0, 10, 4, P: 0.1, TransposedInput: true, Lifetime: Lifetime.BackwardAfterIntermediatesDisposed),
    };

    /// <summary>Cases whose name contains one of <paramref name="filters"/> (all when null or empty).</summary>
    public static List<NumericsCase> Select(IReadOnlyList<string>? filters)
    {
        var list = filters is { Count: > 0 } ? Cases.Where(c => filters.Any(f => c.Name.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList() : Cases.ToList();
        if (list.Count == 0) throw new ArgumentException($"--cases {string.Join(",", filters!)} matches no case; cases: {string.Join("; ", Cases.Select(c => c.Name))}");
        return list;
    }

    /// <summary>Runs <paramref name="trials"/> trials of each case, interleaved (trial 0 of every case, then trial 1, ...).</summary>
    public static List<NumericsRow> Run(IReadOnlyList<NumericsCase> cases, int trials, int seed, TextWriter? log = null)
    {
        var rows = cases.Select(c => new NumericsRow { Case = c.Name }).ToList();
        var clock = Stopwatch.StartNew();
        for (int t = 0; t < trials; t++)
        {
            for (int i = 0; i < cases.Count; i++)
            {
                var start = clock.Elapsed.TotalSeconds;
                var (fwd, bwd) = Trial(cases[i], seed, i, t);
                var row = rows[i];
                row.Trials++;
                row.Forward = row.Forward.Merge(fwd);
                row.Backward = row.Backward.Merge(bwd);
                if (fwd.NonFinite > 0 || bwd.NonFinite > 0) row.NonFiniteTrials++;
                if (!fwd.Merge(bwd).Ok(RelTolerance)) row.OverTolerance++;
                row.Seconds += clock.Elapsed.TotalSeconds - start;
                if ((fwd.NonFinite > 0 || bwd.NonFinite > 0) && log != null)
                    log.WriteLine($"    NON-FINITE: {cases[i].Name}, seed {seed}, trial {t}: forward {fwd.NonFinite}/{fwd.Elements}, backward {bwd.NonFinite}/{bwd.Elements}");
            }
            if (log != null && (t + 1) % Math.Max(1, trials / 4) == 0 && t + 1 < trials)
                log.WriteLine($"    {t + 1}/{trials} trials of {cases.Count} cases, {clock.Elapsed.TotalSeconds:F0} s");
        }
        return rows;
    }

    /// <summary>One trial: (forward comparison, backward comparison over every gradient).</summary>
    public static (Comparison Forward, Comparison Backward) Trial(NumericsCase c, int seed, int caseIndex, int trial)
    {
        using var scope = NewDisposeScope();
        ulong s = Mix((ulong)(uint)seed << 40 ^ (ulong)caseIndex << 24 ^ (uint)trial);
        using var gen = new Generator(s, CPU);
        var shapeRng = new Random((int)(s & 0x7FFFFFFF));
        return c.Op == "conv" ? ConvTrial(c, gen, shapeRng) : AttentionTrial(c, gen, shapeRng, (long)(s >> 1));
    }

    // ----- conv1d -----

    private static (Comparison, Comparison) ConvTrial(NumericsCase c, Generator gen, Random rng)
    {
        int b = c.Batch, ch = c.Channels, t = c.Time, o = c.Out;
        if (c.Mixed) { b = rng.Next(1, 130); ch = new[] { 1, 5, 20, 35, 74, 300, 768 }[rng.Next(7)]; t = rng.Next(1, 61); o = new[] { 8, 40, 41 }[rng.Next(3)]; }
        var w = (randn(new long[] { o, ch, 3 }, generator: gen) / Math.Sqrt(3 * ch)).requires_grad_(true);
        var g = randn(new long[] { b, o, t }, generator: gen);
        Tensor MakeBase() => Pattern(new long[] { b, t, ch }, c.Fill, gen);   // (B, T, C): the kit's layout; frames are rows

        Tensor leaf;   // float32 leaf whose gradient is compared; the kernel's input is leaf or a view of it
        Tensor? output = null;
        Tensor? outputRef = null;
        switch (c.Lifetime)
        {
            case Lifetime.InputViewOfDisposedBase:
            case Lifetime.InputBaseFinalised:
            {
                // No gradient through a disposed base; forward only, against a float64 copy taken before disposal.
                Tensor view, copy64;
                if (c.Lifetime == Lifetime.InputViewOfDisposedBase)
                {
                    var baseT = MakeBase().DetachFromDisposeScope();
                    view = baseT.transpose(1, 2);
                    copy64 = view.to(ScalarType.Float64);
                    baseT.Dispose();
                    Poison(view.numel());
                }
                else
                {
                    (view, copy64) = ViewOfFinalisedBase(() => MakeBase(), x => x.transpose(1, 2));
                }
                using (no_grad()) output = F.conv1d(view, w, padding: 1);
                var wref = w.detach().to(ScalarType.Float64);
                return (Comparison.Of(output, ConvRef(copy64, wref)), Comparison.Empty);
            }
            case Lifetime.OutputOutlivesInputs:
            {
                leaf = MakeBase().requires_grad_(true);
                using (var inner = NewDisposeScope())
                {
                    var x = leaf.transpose(1, 2);
                    var y = F.conv1d(x.contiguous() * 1.0, w, padding: 1);   // intermediates (the scaled copy) die with the inner scope
                    output = y.transpose(1, 2).MoveToOuterDisposeScope();    // (B, T, O) view of y, as the old model returned
                    outputRef = ConvRef(x.detach().to(ScalarType.Float64), w.detach().to(ScalarType.Float64)).transpose(1, 2).MoveToOuterDisposeScope();
                }
                Poison(output.numel() + leaf.numel());
                var fwd = Comparison.Of(output, outputRef);
                return (fwd, ConvBackward(output.transpose(1, 2), g, leaf, w, true));
            }
            case Lifetime.BackwardAfterIntermediatesDisposed:
            {
                leaf = MakeBase().requires_grad_(true);
                Tensor y;
                using (var inner = NewDisposeScope())
                {
                    var copy = leaf * 1.0;                                   // a non-leaf the graph saves for nothing, the kernel reads
                    y = F.conv1d(copy.transpose(1, 2), w, padding: 1).MoveToOuterDisposeScope();
                }
                Poison(leaf.numel() * 2);
                var fwd = Comparison.Of(y, ConvRef(leaf.detach().transpose(1, 2).to(ScalarType.Float64), w.detach().to(ScalarType.Float64)));
                return (fwd, ConvBackward(y, g, leaf, w, true));
            }
            default:
            {
                if (c.TransposedInput) { leaf = MakeBase().requires_grad_(true); }
                else leaf = Pattern(new long[] { b, ch, t }, c.Fill, gen, framesLast: true).requires_grad_(true);
                var x = c.TransposedInput ? leaf.transpose(1, 2) : leaf;
                output = F.conv1d(x, w, padding: 1);
                var fwd = Comparison.Of(output, ConvRef(x.detach().to(ScalarType.Float64), w.detach().to(ScalarType.Float64)));
                return (fwd, ConvBackward(output, g, leaf, w, c.TransposedInput));
            }
        }
    }

    /// <summary>Float64 conv1d, kernel 3, zero padding 1, via unfold + matmul. x (B, C, T), w (O, C, 3) -> (B, O, T).</summary>
    public static Tensor ConvRef(Tensor x, Tensor w)
    {
        var (b, ch, t) = (x.shape[0], x.shape[1], x.shape[2]);
        long k = w.shape[2], o = w.shape[0];
        var windows = F.pad(x, new long[] { (k - 1) / 2, (k - 1) / 2 }).unfold(2, k, 1);   // (B, C, T, k)
        var cols = windows.permute(0, 2, 1, 3).reshape(b, t, ch * k);                       // (B, T, C*k), (c, j) order
        return cols.matmul(w.reshape(o, ch * k).t()).transpose(1, 2);                       // (B, O, T)
    }

    /// <summary>Backward of sum(y * g) through libtorch's conv, against the same through the float64 reference.</summary>
    private static Comparison ConvBackward(Tensor y, Tensor g, Tensor leaf, Tensor w, bool leafIsBtc)
    {
        (y * g).sum().backward();
        var x64 = leaf.detach().to(ScalarType.Float64).requires_grad_(true);
        var w64 = w.detach().to(ScalarType.Float64).requires_grad_(true);
        (ConvRef(leafIsBtc ? x64.transpose(1, 2) : x64, w64) * g.to(ScalarType.Float64)).sum().backward();
        return Comparison.Of(leaf.grad!, x64.grad!).Merge(Comparison.Of(w.grad!, w64.grad!));
    }

    // ----- scaled dot-product attention -----

    private static (Comparison, Comparison) AttentionTrial(NumericsCase c, Generator gen, Random rng, long dropSeed)
    {
        int b = c.Batch, h = c.Heads, t = c.Time, dh = c.HeadDim;
        if (c.Mixed) { b = rng.Next(1, 130); h = new[] { 1, 2, 8, 10 }[rng.Next(4)]; t = rng.Next(1, 61); dh = new[] { 1, 4, 5, 8, 16 }[rng.Next(5)]; }
        double p = c.P;
        var g = randn(new long[] { b, h, t, dh }, generator: gen);
        // (B, T, 3, H, dh) -> permute -> three (B, H, T, dh) views, as the old model's qkv projection made them.
        Tensor MakeQkvBase() => Pattern(new long[] { b, t, 3 * h * dh }, c.Fill, gen) * (c.Fill == Fill.LargeLogits ? 15.0 : 1.0);
        Tensor[] Split(Tensor qkvBase) { var parts = qkvBase.view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4); return new[] { parts[0], parts[1], parts[2] }; }

        switch (c.Lifetime)
        {
            case Lifetime.InputViewOfDisposedBase:
            case Lifetime.InputBaseFinalised:
            {
                Tensor[] views; Tensor[] copies;
                if (c.Lifetime == Lifetime.InputViewOfDisposedBase)
                {
                    var baseT = MakeQkvBase().DetachFromDisposeScope();
                    views = Split(baseT);
                    copies = views.Select(v => v.to(ScalarType.Float64)).ToArray();
                    long n = baseT.numel();
                    baseT.Dispose();
                    Poison(n);
                }
                else
                {
                    Tensor packed, packed64;
                    (packed, packed64) = ViewOfFinalisedBase(() => MakeQkvBase(), x => x.view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4));
                    views = new[] { packed[0], packed[1], packed[2] };
                    copies = new[] { packed64[0], packed64[1], packed64[2] };
                }
                Tensor output; Tensor? mask;
                using (no_grad()) (output, mask) = Fused(views[0], views[1], views[2], p, dropSeed);
                return (Comparison.Of(output, AttentionRef(copies[0], copies[1], copies[2], mask)), Comparison.Empty);
            }
            case Lifetime.OutputOutlivesInputs:
            {
                var leaf = MakeQkvBase().requires_grad_(true);
                Tensor output, outputRef; Tensor? mask;
                using (var inner = NewDisposeScope())
                {
                    var qkv = Split(leaf);                                       // views die with the inner scope
                    var (o, m) = Fused(qkv[0], qkv[1], qkv[2], p, dropSeed);
                    output = o.transpose(1, 2).MoveToOuterDisposeScope();        // (B, T, H, dh) view of o, as the model reshapes it
                    var r = qkv.Select(v => v.detach().to(ScalarType.Float64)).ToArray();
                    outputRef = AttentionRef(r[0], r[1], r[2], m).transpose(1, 2).MoveToOuterDisposeScope();
                    mask = m?.MoveToOuterDisposeScope();
                }
                Poison(leaf.numel() + output.numel());
                var fwd = Comparison.Of(output, outputRef);
                return (fwd, AttentionBackward(output.transpose(1, 2), g, leaf, mask, b, t, h, dh));
            }
            case Lifetime.BackwardAfterIntermediatesDisposed:
            {
                var leaf = MakeQkvBase().requires_grad_(true);
                Tensor output; Tensor? mask;
                using (var inner = NewDisposeScope())
                {
                    var copy = leaf * 1.0;
                    var qkv = Split(copy);
                    (output, mask) = Fused(qkv[0], qkv[1], qkv[2], p, dropSeed);
                    output.MoveToOuterDisposeScope(); mask?.MoveToOuterDisposeScope();
                }
                Poison(leaf.numel() * 2);
                var r = Split(leaf.detach().to(ScalarType.Float64));
                var fwd = Comparison.Of(output, AttentionRef(r[0], r[1], r[2], mask));
                return (fwd, AttentionBackward(output, g, leaf, mask, b, t, h, dh));
            }
            default:
            {
                Tensor leaf; Tensor q, k, v;
                if (c.TransposedInput) { leaf = MakeQkvBase().requires_grad_(true); var s = Split(leaf); (q, k, v) = (s[0], s[1], s[2]); }
                else
                {
                    leaf = Pattern(new long[] { 3, b, h, t, dh }, c.Fill, gen) * (c.Fill == Fill.LargeLogits ? 15.0 : 1.0);
                    leaf = leaf.detach().requires_grad_(true);
                    (q, k, v) = (leaf[0], leaf[1], leaf[2]);
                }
                var (output, mask) = Fused(q, k, v, p, dropSeed);
                var fwd = Comparison.Of(output, AttentionRef(q.detach().to(ScalarType.Float64), k.detach().to(ScalarType.Float64), v.detach().to(ScalarType.Float64), mask));
                return (fwd, AttentionBackward(output, g, leaf, mask, b, t, h, dh, c.TransposedInput ? null : leaf));
            }
        }
    }

    /// <summary>
    /// libtorch's fused attention; with dropout, the mask it drew, recovered by replaying the generator: the CPU path
    /// with dropout is the math kernel, which draws one bernoulli_ over the (B, H, T, T) weights, so reseeding and
    /// dropping out a tensor of ones of that shape gives the same mask scaled by 1/(1-p). Whether the replay matched
    /// is checked by the comparison itself: a wrong mask shows as a large error, never as agreement.
    /// </summary>
    public static (Tensor Output, Tensor? Mask) Fused(Tensor q, Tensor k, Tensor v, double p, long dropSeed)
    {
        if (p == 0) return (F.scaled_dot_product_attention(q, k, v), null);
        torch.random.manual_seed(dropSeed);
        var o = F.scaled_dot_product_attention(q, k, v, p: p);
        torch.random.manual_seed(dropSeed);
        Tensor mask;
        using (no_grad()) mask = F.dropout(ones(q.shape[0], q.shape[1], q.shape[2], k.shape[2]), p, true).to(ScalarType.Float64);
        return (o, mask);
    }

    /// <summary>Float64 attention written out: softmax(Q K^T / sqrt(dh)) [* mask] V.</summary>
    public static Tensor AttentionRef(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        var w = F.softmax(q.matmul(k.transpose(-2, -1)) / Math.Sqrt(q.shape[^1]), -1);
        if (mask is not null) w = w * mask;
        return w.matmul(v);
    }

    private static Comparison AttentionBackward(Tensor output, Tensor g, Tensor leaf, Tensor? mask, int b, int t, int h, int dh, Tensor? stackedLeaf = null)
    {
        (output * g).sum().backward();
        var l64 = leaf.detach().to(ScalarType.Float64).requires_grad_(true);
        Tensor q, k, v;
        if (stackedLeaf is not null) (q, k, v) = (l64[0], l64[1], l64[2]);
        else { var parts = l64.view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4); (q, k, v) = (parts[0], parts[1], parts[2]); }
        (AttentionRef(q, k, v, mask) * g.to(ScalarType.Float64)).sum().backward();
        return Comparison.Of(leaf.grad!, l64.grad!);
    }

    // ----- inputs, lifetimes -----

    /// <summary>Random normal values; ZeroFrames zeroes whole rows of the next-to-last axis (frames: time steps) with
    /// probability 0.3 and sometimes a sample's whole tail (padding); AllZero is a missing modality; for (B, C, T)
    /// layouts (<paramref name="framesLast"/>) the frames are the last axis.</summary>
    private static Tensor Pattern(long[] shape, Fill fill, Generator gen, bool framesLast = false)
    {
        var x = randn(shape, generator: gen);
        if (fill == Fill.AllZero) return zeros(shape);
        if (fill != Fill.ZeroFrames) return x;
        var keepShape = (long[])shape.Clone();
        if (framesLast) keepShape[^2] = 1; else keepShape[^1] = 1;
        var keep = (rand(keepShape, generator: gen) > 0.3).to(ScalarType.Float32);
        return x * keep;
    }

    /// <summary>Views whose base was confirmed finalised (its managed object collected) before use / views tried.</summary>
    public static int BasesFinalised, BasesTried;

    /// <summary>A view of a base tensor that is left unreferenced and finalised before the view is used.</summary>
    private static (Tensor View, Tensor Copy64) ViewOfFinalisedBase(Func<Tensor> make, Func<Tensor, Tensor> view)
    {
        var (v, copy, weakBase) = MakeViewOfOrphan(make, view);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        BasesTried++;
        if (!weakBase.IsAlive) BasesFinalised++;
        Poison(v.numel());
        var tracked = v.alias();       // bring the view and the copy back under the caller's scope
        var trackedCopy = copy.alias();
        v.Dispose(); copy.Dispose();
        return (tracked, trackedCopy);
    }

    // Not inlined, so the base's only reference dies when it returns (a Tier-0 caller would keep a local alive).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Tensor View, Tensor Copy64, WeakReference Base) MakeViewOfOrphan(Func<Tensor> make, Func<Tensor, Tensor> view)
    {
        using var inner = NewDisposeScope();
        var b = make().DetachFromDisposeScope();   // not disposed by any scope: only the finaliser releases this handle
        var v = view(b).DetachFromDisposeScope();
        var copy = v.to(ScalarType.Float64).DetachFromDisposeScope();
        return (v, copy, new WeakReference(b));
    }

    /// <summary>Positive control for <see cref="Poison"/>: the fraction of NaN in an uninitialised tensor allocated right
    /// after poisoning (high = freed memory of that size is overwritten with NaN, so a stale read would show up as NaN).</summary>
    public static double PoisonControl(long elements)
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { elements });
        x.Dispose();
        Poison(elements);
        var e = empty(new long[] { elements });
        return e.isnan().sum().item<long>() / (double)elements;
    }

    /// <summary>Allocates and frees NaN-filled float32 tensors of about <paramref name="elements"/> (in several sizes), so a
    /// kernel that reads freed memory reads NaN.</summary>
    private static void Poison(long elements)
    {
        using var scope = NewDisposeScope();
        foreach (var n in new[] { elements, elements / 2, elements / 3 + 1, elements * 2 })
            full(new long[] { Math.Max(1, n) }, float.NaN).Dispose();
        for (int i = 0; i < 4; i++) full(new long[] { Math.Max(1, elements) }, float.NaN);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // ----- speed (only meaningful once the numerics above are clean) -----

    /// <summary>One timed contender: the kit's written-out op or libtorch's fused one, forward + backward at a training shape.</summary>
    public sealed record SpeedRow(string Op, string Variant, double MedianMs, double[] RepeatMs);

    /// <summary>
    /// Forward + backward per call, ms, at the MOSI training shape (B 128, T 50, d 40; 10 heads of width 4):
    /// the kit's TemporalConv (unfold + matmul) vs F.conv1d on the same weight for text/audio/vision, and the kit's
    /// written-out attention with FastDropout vs fused scaled_dot_product_attention (libtorch's dropout) at p = 0.1
    /// and p = 0. The conv input needs no gradient (a data batch, as in training: backward computes the weight's only);
    /// the attention input does (it comes from the qkv Linear). Contenders alternate within each repeat; median over repeats.
    /// </summary>
    public static List<SpeedRow> Speed(int repeats, int callsPerRepeat, TextWriter? log = null)
    {
        var rows = new List<SpeedRow>();
        const int B = 128, T = 50, D = 40, H = 10, Dh = 4;
        foreach (var inDim in new[] { 300, 5, 20 })
        {
            var kit = new CorrKD.Model.TemporalConv(inDim, D, 3);
            var w = kit.parameters().First();
            Tensor KitConv(Tensor x) => kit.forward(x);
            Tensor TorchConv(Tensor x) => F.conv1d(x.transpose(1, 2), w, padding: 1).transpose(1, 2);
            rows.AddRange(TimePair($"conv {inDim}->{D}", ("kit unfold+matmul", KitConv), ("libtorch conv1d", TorchConv),
                                   () => randn(new long[] { B, T, inDim }), new long[] { B, T, D }, repeats, callsPerRepeat));
            kit.Dispose();
        }
        foreach (var p in new[] { 0.1, 0.0 })
        {
            Tensor Heads(Tensor qkv, int i) => qkv.view(B, T, 3, H, Dh).permute(2, 0, 3, 1, 4)[i];
            Tensor KitAttention(Tensor qkv)
            {
                var (q, k, v) = (Heads(qkv, 0), Heads(qkv, 1), Heads(qkv, 2));
                var scores = (q * (1 / Math.Sqrt(Dh))).matmul(k.transpose(-2, -1));
                return CorrKD.Model.FastDropout.Apply(F.softmax(scores, -1), p, training: true).matmul(v);
            }
            Tensor FusedAttention(Tensor qkv) => F.scaled_dot_product_attention(Heads(qkv, 0), Heads(qkv, 1), Heads(qkv, 2), p: p);
            // One GEMM per sample instead of one per (sample, head): Q spread over a block-diagonal (B, H*T, H*dh) matrix
            // against all heads' K at once, V likewise, then each head's own block kept. 10x the multiply-adds (zeros),
            // but GEMM shapes MKL handles well (500x40x50 instead of 50x4x50). Same math; not the same order of sums.
            Tensor BlockAttention(Tensor qkv)
            {
                var (q, k, v) = (Heads(qkv, 0), Heads(qkv, 1), Heads(qkv, 2));                       // (B, H, T, dh)
                using var eye = torch.eye(H).view(1, H, 1, H, 1);
                var qb = ((q * (1 / Math.Sqrt(Dh))).unsqueeze(3) * eye).reshape(B, H * T, H * Dh);    // (B, H*T, H*dh)
                var scores = qb.matmul(k.permute(0, 2, 1, 3).reshape(B, T, H * Dh).transpose(1, 2)).view(B, H, T, T);
                var w = CorrKD.Model.FastDropout.Apply(F.softmax(scores, -1), p, training: true);
                var all = w.reshape(B, H * T, T).matmul(v.permute(0, 2, 1, 3).reshape(B, T, H * Dh)).view(B, H, T, H, Dh);
                return (all * eye).sum(3);                                                              // (B, H, T, dh)
            }
            Func<Tensor> qkvInput = () => randn(new long[] { B, T, 3 * H * Dh }).requires_grad_(true);
            if (p == 0)
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    var x = qkvInput();
                    log?.WriteLine($"    block-diagonal GEMM vs per-head attention, p = 0, same input: max |difference| {(KitAttention(x) - BlockAttention(x)).abs().max().item<float>():E1}");
                }
            rows.AddRange(TimePair($"attention p={p:0.0#}", ("kit written out" + (p > 0 ? " + FastDropout" : ""), KitAttention),
                                   ("libtorch fused sdpa", FusedAttention), qkvInput, new long[] { B, H, T, Dh }, repeats, callsPerRepeat));
            rows.AddRange(TimePair($"attention p={p:0.0#}, libtorch ops vs C# kernel", ("kit written out, heads merged", x => CorrKD.Model.NarrowHeadAttention.Reference(x, H, w => CorrKD.Model.FastDropout.Apply(w, p, training: true))),
                                   ("C# narrow-head kernel", x => CorrKD.Model.NarrowHeadAttention.Apply(x, H, p, training: true)), qkvInput, new long[] { B, T, H * Dh }, repeats, callsPerRepeat));
            rows.AddRange(TimePair($"attention p={p:0.0#}, per-head vs block GEMM", ("kit written out (per-head bmm)", KitAttention),
                                   ("block-diagonal GEMM", BlockAttention), qkvInput, new long[] { B, H, T, Dh }, repeats, callsPerRepeat));
        }
        if (log != null) PrintSpeed(rows, log);
        return rows;
    }

    private static IEnumerable<SpeedRow> TimePair(string op, (string Name, Func<Tensor, Tensor> F) a, (string Name, Func<Tensor, Tensor> F) b,
                                                  Func<Tensor> input, long[] outShape, int repeats, int calls)
    {
        double Once(Func<Tensor, Tensor> f)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
            {
                using var scope = NewDisposeScope();
                var x = input();
                (f(x) * ones(outShape)).sum().backward();
            }
            return clock.Elapsed.TotalMilliseconds / calls;
        }
        Once(a.F); Once(b.F);   // warm-up (oneDNN primitive creation, first-touch pages)
        var ta = new double[repeats]; var tb = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            if (r % 2 == 0) { ta[r] = Once(a.F); tb[r] = Once(b.F); }
            else { tb[r] = Once(b.F); ta[r] = Once(a.F); }
        }
        return new[] { new SpeedRow(op, a.Name, BenchStats.Median(ta), ta), new SpeedRow(op, b.Name, BenchStats.Median(tb), tb) };
    }

    public static void PrintSpeed(IReadOnlyList<SpeedRow> rows, TextWriter o)
    {
        o.WriteLine("| op (fwd+bwd, MOSI shape) | variant | median ms/call | repeats (ms) |");
        o.WriteLine("|---|---|---|---|");
        foreach (var r in rows) o.WriteLine($"| {r.Op} | {r.Variant} | {r.MedianMs:F2} | {string.Join(" ", r.RepeatMs.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))} |");
    }

    // ----- output -----

    public static void PrintTable(IReadOnlyList<NumericsRow> rows, TextWriter o)
    {
        o.WriteLine("| case | trials | non-finite trials | over tol trials | fwd max abs err | fwd max rel err | bwd max abs err | bwd max rel err | s |");
        o.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            o.WriteLine($"| {r.Case} | {r.Trials} | {r.NonFiniteTrials} | {r.OverTolerance} | {E(r.Forward.MaxAbs)} | {E(r.Forward.MaxRel)} | " +
                        $"{(r.Backward.Elements == 0 ? "-" : E(r.Backward.MaxAbs))} | {(r.Backward.Elements == 0 ? "-" : E(r.Backward.MaxRel))} | {r.Seconds:F1} |");
        long nf = rows.Sum(r => (long)r.NonFiniteTrials), over = rows.Sum(r => (long)r.OverTolerance), all = rows.Sum(r => (long)r.Trials);
        if (BasesTried > 0) o.WriteLine($"    finaliser cases: the base's managed object was collected before the kernel ran in {BasesFinalised}/{BasesTried} trials");
        o.WriteLine($"    poison control (NaN fraction of a fresh uninitialised tensor after poisoning; allocator {Experiments.KitRuntime.Allocator}): " +
                    string.Join(", ", new long[] { 128 * 50 * 40, 128 * 50 * 300, 128 * 10 * 50 * 50 }.Select(n => $"{n} floats {PoisonControl(n):P0}")));
        o.WriteLine($"    total: {all} trials, {nf} with a non-finite output or gradient, {over} over the relative tolerance {RelTolerance:0e0} (or non-finite)");
    }

    public static string E(double x) => double.IsPositiveInfinity(x) ? "inf" : x.ToString("0.0e0", CultureInfo.InvariantCulture);

    /// <summary>The machine-readable line a child prints per case (tab-separated).</summary>
    public static string SummaryLine(NumericsRow r) => string.Join('\t', "NUMERICS", r.Case, r.Trials, r.NonFiniteTrials, r.OverTolerance,
        Math.Max(r.Forward.MaxRel, r.Backward.MaxRel).ToString("R", CultureInfo.InvariantCulture));

    /// <summary>A suspect's child configuration: environment changes (null value = remove) and thread count.</summary>
    public sealed record ChildConfig(string Name, IReadOnlyDictionary<string, string?> Env, int Threads);

    private static readonly string[] IsaVariables = { "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY", Experiments.KitRuntime.AllocatorVariable };

    public static IReadOnlyList<ChildConfig> ChildConfigs(int threads)
    {
        Dictionary<string, string?> Env(params (string, string)[] set)
        {
            var d = IsaVariables.ToDictionary(v => v, _ => (string?)null);
            foreach (var (k, v) in set) d[k] = v;
            return d;
        }
        var avx2 = new[] { ("DNNL_MAX_CPU_ISA", "AVX2"), ("ONEDNN_MAX_CPU_ISA", "AVX2") };
        var mkl = ("MKL_ENABLE_INSTRUCTIONS", "AVX2");
        var glibc = (Experiments.KitRuntime.AllocatorVariable, "glibc");
        return new ChildConfig[]
        {
            new("baseline (tuned malloc, AVX-512)", Env(), threads),
            new("CORRKD_MALLOC=glibc", Env(glibc), threads),
            new("oneDNN ISA AVX2", Env(avx2), threads),
            new("MKL AVX2", Env(mkl), threads),
            // ATen's own vectorised kernels (the fused attention's flash kernel, softmax) pick AVX-512/AVX2/default here:
            new("ATen capability avx2", Env(("ATEN_CPU_CAPABILITY", "avx2")), threads),
            new("ATen capability default", Env(("ATEN_CPU_CAPABILITY", "default")), threads),
            new("oneDNN+MKL AVX2, glibc malloc", Env(avx2.Append(mkl).Append(glibc).ToArray()), threads),
            new($"baseline, {(threads == 1 ? 2 : 1)} threads", Env(), threads == 1 ? 2 : 1),
        };
    }

    /// <summary>Runs the same trials (same seed, cases, trial count) in one child process per configuration and prints a
    /// side-by-side table: per case, "non-finite trials / over-tolerance trials / max rel err" for each configuration.</summary>
    public static int RunChildren(IReadOnlyList<NumericsCase> cases, int trials, int seed, int threads, IReadOnlyList<string>? filters, TextWriter o)
    {
        var dll = typeof(NumericsBench).Assembly.Location;
        var configs = ChildConfigs(threads);
        var results = new List<Dictionary<string, string[]>>();
        foreach (var cfg in configs)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, "bench", "--only", "e", "--trials", $"{trials}", "--numerics-seed", $"{seed}", "--threads", $"{cfg.Threads}" }) psi.ArgumentList.Add(arg);
            if (filters is { Count: > 0 }) { psi.ArgumentList.Add("--cases"); psi.ArgumentList.Add(string.Join(",", filters)); }
            foreach (var (k, v) in cfg.Env) { if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v; }
            psi.Environment[ChildVariable] = "1";
            var clock = Stopwatch.StartNew();
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start a child bench");
            var errTask = p.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            string? line;
            while ((line = p.StandardOutput.ReadLine()) != null) lines.Add(line);
            p.WaitForExit();
            var err = errTask.Result;
            var parsed = lines.Where(l => l.StartsWith("NUMERICS\t", StringComparison.Ordinal)).Select(l => l.Split('\t')).ToDictionary(f => f[1], f => f);
            o.WriteLine($"    child '{cfg.Name}': exit {p.ExitCode}, {clock.Elapsed.TotalSeconds:F0} s, {parsed.Count} cases" +
                        (lines.FirstOrDefault(l => l.StartsWith("    NON-FINITE", StringComparison.Ordinal)) is { } nf ? $"; first: {nf.Trim()}" : "") +
                        (p.ExitCode != 0 ? $"; stderr: {err.Trim().Split('\n').LastOrDefault()}" : ""));
            results.Add(parsed);
        }
        o.WriteLine();
        o.WriteLine("cells: non-finite trials / trials over tolerance / worst rel err (fwd or bwd)");
        o.WriteLine("| case | trials | " + string.Join(" | ", configs.Select(c => c.Name)) + " |");
        o.WriteLine("|---|---|" + string.Concat(configs.Select(_ => "---|")));
        foreach (var c in cases)
        {
            var trialsCell = results.Select(r => r.TryGetValue(c.Name, out var f) ? f[2] : null).FirstOrDefault(x => x != null) ?? "-";
            o.WriteLine($"| {c.Name} | {trialsCell} | " + string.Join(" | ", results.Select(r => r.TryGetValue(c.Name, out var f)
                ? $"{f[3]} / {f[4]} / {E(double.Parse(f[5], CultureInfo.InvariantCulture))}" : "missing")) + " |");
        }
        return results.Any(r => r.Count != cases.Count) ? 1 : 0;
    }
}
