using CorrKD.Data.Synthetic;
using static TorchSharp.torch;

namespace CorrKD.Data.Missing;

/// <summary>
/// Test-time missing-modality simulation. Missing modalities and missing frames become zero vectors (no mask
/// tokens). Frame masks are a pure function of (seed, split, sample index, modality, frame, rate), so every model
/// sees exactly the same corrupted inputs and masks are nested across rates.
/// </summary>
public static class MissingModality
{
    /// <summary>Inter-modality protocol: modalities not in <paramref name="a"/> become zeros. Returns new tensors; the input is untouched.</summary>
    /// <param name="mods">[l, a, v], each (B, T_m, d_m).</param>
    /// <param name="a">The modalities that stay.</param>
    public static Tensor[] ApplyAvailability(Tensor[] mods, Availability a)
    {
        CheckModalities(mods);
        return mods.Select((x, m) => a.Has((Modality)m) ? x.clone() : zeros_like(x)).ToArray();
    }

    /// <summary>
    /// The uniform u in [0, 1) that decides whether frame t of sample i in modality m is dropped:
    /// u = top53(Mix(Key(seed, FNV(split), i, m) + (t+1) * Gamma)), SplitMix64 throughout. Independent of the rate.
    /// </summary>
    public static double FrameUniform(long seed, string split, long sampleIndex, Modality m, int frame) =>
        SplitMix64.ToUnit(SplitMix64.Mix(SampleKey(seed, split, sampleIndex, m) + (ulong)(frame + 1) * SplitMix64.Gamma));

    private static ulong SampleKey(long seed, string split, long sampleIndex, Modality m) =>
        SplitMix64.Key(0x4D495353UL /* "MISS" */, (ulong)seed, SplitMix64.StringKey(split), (ulong)sampleIndex, (ulong)m);

    /// <summary>
    /// Keep mask (B, T) float32 with 1 = keep, 0 = dropped, where a frame is dropped iff u &lt; rate
    /// (u from <see cref="FrameUniform"/>). Hence rate 0 keeps all, rate 1 drops all, and a frame dropped at rate r
    /// is dropped at every r' &gt; r. A managed loop over B*T hashes (34300 hashes for B=686, T=50; the tests bound it at 200 ms): cheap next to any model.
    /// </summary>
    public static Tensor FrameKeepMask(long seed, string split, long[] sampleIndex, Modality m, int T, double rate)
    {
        if (rate is < 0 or > 1 || double.IsNaN(rate)) throw new ArgumentException($"frame drop rate {rate}: expected a value in [0, 1]", nameof(rate));
        if (T < 0) throw new ArgumentException($"T = {T}: expected >= 0", nameof(T));
        var keep = new float[sampleIndex.Length * T];
        for (int b = 0; b < sampleIndex.Length; b++)
        {
            ulong key = SampleKey(seed, split, sampleIndex[b], m);
            for (int t = 0; t < T; t++)
                keep[b * T + t] = SplitMix64.ToUnit(SplitMix64.Mix(key + (ulong)(t + 1) * SplitMix64.Gamma)) < rate ? 0f : 1f;
        }
        return tensor(keep, new long[] { sampleIndex.Length, T });   // host: built from managed hashes; DropFrames moves it to the data's device
    }

    /// <summary>
    /// Intra-modality protocol: x_m * keep_m[..., None] for each modality in <paramref name="which"/> (OPEN choice,
    /// default: all three at once, each with its own independent mask); other modalities are copied unchanged.
    /// </summary>
    /// <param name="mods">[l, a, v], each (B, T_m, d_m); T_m may differ per modality.</param>
    /// <param name="seed">Test-mask seed (fixed per evaluation, shared by all models).</param>
    /// <param name="split">Split name, part of the key.</param>
    /// <param name="sampleIndex">(B) index of each row within its split (not within the batch), so masks do not depend on batching.</param>
    /// <param name="rate">Drop probability r in [0, 1].</param>
    /// <param name="which">Modalities to corrupt; null = all three.</param>
    public static Tensor[] DropFrames(Tensor[] mods, long seed, string split, long[] sampleIndex, double rate, IReadOnlyList<Modality>? which = null)
    {
        CheckModalities(mods);
        for (int m = 0; m < 3; m++)
            if (mods[m].shape[0] != sampleIndex.Length)
                throw new ArgumentException($"{(Modality)m}: batch of {mods[m].shape[0]} rows but {sampleIndex.Length} sample indices", nameof(sampleIndex));
        var chosen = which ?? new[] { Modality.Language, Modality.Audio, Modality.Vision };
        var result = new Tensor[3];
        for (int m = 0; m < 3; m++)
        {
            if (!chosen.Contains((Modality)m)) { result[m] = mods[m].clone(); continue; }
            using var scope = NewDisposeScope();
            var keep = FrameKeepMask(seed, split, sampleIndex, (Modality)m, (int)mods[m].shape[1], rate).to(mods[m].dtype).to(mods[m].device);
            result[m] = (mods[m] * keep.unsqueeze(-1)).MoveToOuterDisposeScope();
        }
        return result;
    }

    internal static void CheckModalities(Tensor[] mods)
    {
        if (mods.Length != 3) throw new ArgumentException($"expected 3 modality tensors [l, a, v], got {mods.Length}", nameof(mods));
        for (int m = 0; m < 3; m++)
            if (mods[m].dim() != 3)
                throw new ArgumentException($"{(Modality)m}: expected rank 3 (B, T, d), got shape [{string.Join(",", mods[m].shape)}]", nameof(mods));
        if (mods[1].shape[0] != mods[0].shape[0] || mods[2].shape[0] != mods[0].shape[0])
            throw new ArgumentException($"batch sizes differ across modalities: {mods[0].shape[0]}/{mods[1].shape[0]}/{mods[2].shape[0]}", nameof(mods));
    }
}
