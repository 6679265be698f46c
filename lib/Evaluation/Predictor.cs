using CorrKD.Data;
using CorrKD.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Evaluation;

/// <summary>
/// Batched inference of a backbone on one split under the two missing-modality protocols. Returns CPU logits
/// (N, K) that outlive the caller's dispose scope. Models must be in eval mode (callers use <see cref="Eval"/>).
/// </summary>
public static class Predictor
{
    /// <summary>Slices rows <paramref name="idx"/> of every modality and moves them to the device.</summary>
    public static Tensor[] Gather(MsaSplit split, long[] idx, Device device)
    {
        using var index = tensor(idx, ScalarType.Int64);   // host: indexes the CPU-held split, the rows then move to the device
        return split.Modalities.Select(m => m.index_select(0, index).to(device)).ToArray();
    }

    /// <summary>One all-missing sample on the device: per modality zeros (1, T_m, d_m) of the split's shapes.</summary>
    public static Tensor[] ZeroSample(MsaSplit split, Device device) =>
        split.Modalities.Select(m => zeros(1, m.shape[1], m.shape[2], device: device)).ToArray();

    /// <summary>What one branch (modality) sees under a condition: its real input, an all-missing modality (zeros), or
    /// its real input with frames dropped at <see cref="Rate"/> (the fixed test masks; rate 0 is the real input).</summary>
    public readonly record struct BranchInput(BranchSource Source, double Rate = 0)
    {
        public static readonly BranchInput Real = new(BranchSource.Real), Zero = new(BranchSource.Zero);
        public static BranchInput Dropped(double rate) => rate == 0 ? Real : new(BranchSource.Dropped, rate);
    }

    public enum BranchSource { Real, Zero, Dropped }

    /// <summary>
    /// Logits of many conditions at once, each a choice of <see cref="BranchInput"/> per modality [l, a, v]. The branches
    /// are independent until fusion, so per batch each modality is encoded once on its real input, once per
    /// frame-drop rate in use, and once overall on zeros (a single zero sample, broadcast); every condition is then a
    /// choice per branch before <see cref="CorrKDBackbone.Fuse"/>. Exact: the same ops on the same rows as separate
    /// passes (the test sweep's inter and intra protocols share one real-input encoding). Rates are taken one at a
    /// time, their encodings freed before the next.
    /// </summary>
    public static Dictionary<TKey, Tensor> Compose<TKey>(CorrKDBackbone model, MsaSplit split,
        IReadOnlyList<(TKey Key, BranchInput[] Branches)> conditions, long maskSeed, int batchSize, Device device) where TKey : notnull
    {
        foreach (var (key, branches) in conditions)
            if (branches.Length != 3 || branches.Where(b => b.Source == BranchSource.Dropped).Select(b => b.Rate).Distinct().Count() > 1)
                throw new ArgumentException($"condition {key}: expected three branch inputs with at most one frame-drop rate", nameof(conditions));
        var parts = conditions.ToDictionary(c => c.Key, _ => new List<Tensor>());
        var rates = conditions.SelectMany(c => c.Branches).Where(b => b.Source == BranchSource.Dropped).Select(b => b.Rate).Distinct().ToList();
        using var outer = NewDisposeScope();
        using var _ = no_grad();
        var zeroEnc = conditions.Any(c => c.Branches.Any(b => b.Source == BranchSource.Zero))
            ? ZeroSample(split, device).Select((z, m) => model.Encoder(m).forward(z)).ToArray() : null;
        for (long start = 0; start < split.Count; start += batchSize)
        {
            using var step = new StepScope();
            var idx = Range(start, Math.Min(batchSize, split.Count - start));
            var x = Gather(split, idx, CPU);   // host: frame masks are made on the CPU, then each input goes to the device
            var real = Enumerable.Range(0, 3).Select(m => model.Encoder(m).forward(x[m].to(device))).ToArray();
            void Add(double rate, Tensor[]? dropped)   // the conditions whose dropped branches (if any) are at this rate
            {
                foreach (var (key, branches) in conditions)
                {
                    var drops = branches.Where(b => b.Source == BranchSource.Dropped).ToList();
                    if (dropped == null ? drops.Count > 0 : drops.Count == 0 || drops.Any(b => b.Rate != rate)) continue;
                    var enc = branches.Select((b, m) => b.Source switch
                    {
                        BranchSource.Real => real[m],
                        BranchSource.Zero => zeroEnc![m].expand(real[m].shape),
                        _ => dropped![m],
                    }).ToArray();
                    parts[key].Add(model.Classify(model.Fuse(enc)).cpu().DetachFromDisposeScope());   // host: CPU logits, freed by Concat
                }
            }
            Add(0, null);
            foreach (var r in rates)
            {
                using var rateScope = NewDisposeScope();   // one rate's encodings at a time
                Add(r, Data.Missing.MissingModality.DropFrames(x, maskSeed, split.Name, idx, r)
                    .Select((t, m) => model.Encoder(m).forward(t.to(device))).ToArray());
            }
        }
        return parts.ToDictionary(kv => kv.Key, kv => Concat(kv.Value));
    }

    /// <summary>The branch inputs of availability set <paramref name="s"/>: real where present, zeros where missing.</summary>
    public static BranchInput[] Branches(Availability s) =>
        Enumerable.Range(0, 3).Select(m => s.Has((Modality)m) ? BranchInput.Real : BranchInput.Zero).ToArray();

    /// <summary>The branch inputs of intra protocol <paramref name="protocol"/> (<see cref="IntraProtocols"/>) at rate
    /// <paramref name="rate"/>: "intra" drops frames of all three modalities, "intra-l/a/v" only that one's.</summary>
    public static BranchInput[] Branches(string protocol, double rate)
    {
        int p = Array.IndexOf(IntraProtocols, protocol);
        if (p < 0) throw new ArgumentException($"unknown intra protocol '{protocol}'", nameof(protocol));
        return Enumerable.Range(0, 3).Select(m => p == 0 || p - 1 == m ? BranchInput.Dropped(rate) : BranchInput.Real).ToArray();
    }

    /// <summary>Logits for every availability set at once (<see cref="Compose{TKey}"/>; about 6x cheaper than seven full passes).</summary>
    public static Dictionary<Availability, Tensor> ByAvailability(CorrKDBackbone model, MsaSplit split,
        IReadOnlyList<Availability> sets, int batchSize, Device device) =>
        Compose(model, split, sets.Select(s => (s, Branches(s))).ToList(), maskSeed: 0, batchSize, device);

    /// <summary>The intra-modality protocols: "intra" drops frames of all three modalities at rate r; "intra-l",
    /// "intra-a", "intra-v" drop only that modality's frames and keep the other two complete.</summary>
    public static readonly string[] IntraProtocols = { "intra", "intra-l", "intra-a", "intra-v" };

    /// <summary>
    /// Logits with intra-modality frame dropping at every rate, for each of <see cref="IntraProtocols"/>: the fixed
    /// masks of <see cref="Data.Missing.MissingModality"/> keyed by (maskSeed, split, sample index, modality, rate).
    /// A modality's mask at rate r is the same whichever others are dropped, so through <see cref="Compose{TKey}"/>
    /// each modality is encoded once per rate and the per-modality curves cost no extra encoder passes.
    /// </summary>
    public static Dictionary<(string Protocol, double Rate), Tensor> FrameDropSweep(CorrKDBackbone model, MsaSplit split,
        long maskSeed, IReadOnlyList<double> rates, int batchSize, Device device) =>
        Compose(model, split, rates.SelectMany(r => IntraProtocols.Select(p => ((p, r), Branches(p, r)))).ToList(), maskSeed, batchSize, device);

    /// <summary>Logits and joint representations on the complete input.</summary>
    public static (Tensor Logits, Tensor Joint) Complete(CorrKDBackbone model, MsaSplit split, int batchSize, Device device)
    {
        var logits = new List<Tensor>(); var joint = new List<Tensor>();
        using var outer = NewDisposeScope();
        using var _ = no_grad();
        for (long start = 0; start < split.Count; start += batchSize)
        {
            using var step = new StepScope();
            var idx = Range(start, Math.Min(batchSize, split.Count - start));
            var o = model.Forward(Gather(split, idx, device));
            logits.Add(o.Logits.cpu().MoveToOuterDisposeScope()); joint.Add(o.Joint.cpu().MoveToOuterDisposeScope());   // host: CPU logits and h (teacher cache)
        }
        return (Concat(logits), Concat(joint));
    }

    /// <summary>Runs <paramref name="body"/> with the model in eval mode and restores its previous mode.</summary>
    public static T Eval<T>(nn.Module model, Func<T> body)
    {
        bool was = model.training;
        model.eval();
        try { return body(); } finally { model.train(was); }
    }

    private static long[] Range(long start, long count) { var r = new long[count]; for (long i = 0; i < count; i++) r[i] = start + i; return r; }

    private static Tensor Concat(List<Tensor> parts)
    {
        var all = cat(parts, 0).DetachFromDisposeScope();
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
