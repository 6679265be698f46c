using CorrKD.Data;
using CorrKD.Data.Missing;
using Microsoft.Data.Analysis;
using static TorchSharp.torch;

namespace CorrKD.Notebooks;

/// <summary>Counts that show what each missingness law does to a split (notebook 01).</summary>
public static class MissingnessSummary
{
    /// <summary>
    /// Intra-modality protocol: for each rate r and modality, the share of valid (non-padding) frames that
    /// <see cref="MissingModality.FrameKeepMask"/> drops, and whether every frame dropped at the previous rate is
    /// still dropped (masks are nested across rates by construction: dropped iff u &lt; r with u fixed per frame).
    /// </summary>
    public static DataFrame FrameDropShares(MsaSplit split, IReadOnlyList<double> rates, long maskSeed = 0)
    {
        var rate = new DoubleDataFrameColumn("rate"); var mod = new StringDataFrameColumn("modality");
        var share = new DoubleDataFrameColumn("dropped share of valid frames"); var nested = new BooleanDataFrameColumn("nested in next-lower rate");
        var idx = Enumerable.Range(0, split.Count).Select(i => (long)i).ToArray();
        for (int m = 0; m < 3; m++)
        {
            using var scope = NewDisposeScope();
            int T = (int)split.Modalities[m].shape[1];
            var valid = arange(T).unsqueeze(0) < tensor(split.Lengths[m]).unsqueeze(1);              // (N, T) bool
            Tensor? previous = null;
            foreach (var r in rates.OrderBy(x => x))
            {
                var drop = FrameKeepMask(split, idx, m, T, r, maskSeed).logical_not().logical_and(valid);   // (N, T)
                rate.Append(r); mod.Append(((Modality)m).ToString().ToLowerInvariant());
                share.Append(drop.sum().item<long>() / (double)Math.Max(1, valid.sum().item<long>()));
                nested.Append(previous is null || previous.logical_and(drop.logical_not()).sum().item<long>() == 0);
                previous = drop;
            }
        }
        return new DataFrame(rate, mod, share, nested);
    }

    private static Tensor FrameKeepMask(MsaSplit split, long[] idx, int m, int T, double r, long seed) =>
        MissingModality.FrameKeepMask(seed, split.Name, idx, (Modality)m, T, r) > 0.5f;

    /// <summary>
    /// Training-time law (MRM): one pass of <see cref="RandomMissingSampler"/> over the split with generator seed
    /// <paramref name="seed"/>. Per availability set: how many samples drew it, and per modality the share of the
    /// split's valid frames that end up zero (a whole missing modality or a dropped frame).
    /// </summary>
    public static DataFrame RandomMissingDraw(MsaSplit split, RandomMissingOptions options, long seed)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed, CPU);
        var outs = new RandomMissingSampler(options).Apply(split.Modalities, gen, out var setIndex);
        var set = new StringDataFrameColumn("set"); var count = new Int64DataFrameColumn("samples");
        var zl = new DoubleDataFrameColumn("language zeroed"); var za = new DoubleDataFrameColumn("audio zeroed");
        var zv = new DoubleDataFrameColumn("vision zeroed");
        var cols = new[] { zl, za, zv };
        var zeroFrames = new Tensor[3]; var valid = new Tensor[3];
        for (int m = 0; m < 3; m++)
        {
            int T = (int)split.Modalities[m].shape[1];
            valid[m] = arange(T).unsqueeze(0) < tensor(split.Lengths[m]).unsqueeze(1);                // (N, T)
            zeroFrames[m] = outs[m].abs().sum(-1).eq(0).logical_and(valid[m]);                         // (N, T)
        }
        for (int k = 0; k < Availability.All.Count; k++)
        {
            var rows = setIndex.Select((s, i) => (s, i)).Where(p => p.s == k).Select(p => (long)p.i).ToArray();
            set.Append(Availability.All[k].Name); count.Append(rows.Length);
            for (int m = 0; m < 3; m++)
            {
                if (rows.Length == 0) { cols[m].Append(null); continue; }
                var sel = tensor(rows);
                cols[m].Append(zeroFrames[m].index_select(0, sel).sum().item<long>() / (double)Math.Max(1, valid[m].index_select(0, sel).sum().item<long>()));
            }
        }
        return new DataFrame(set, count, zl, za, zv);
    }
}
