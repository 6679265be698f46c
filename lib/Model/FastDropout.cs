using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Model;

/// <summary>
/// Inverted dropout with the same law as libtorch's (each element kept independently with probability 1 - p and
/// scaled by 1 / (1 - p); identity in eval mode), but with a cheaper source of randomness on the CPU.
/// libtorch 2.10's CPU <c>bernoulli_</c>/<c>rand</c> draw one element at a time (about 7 ns each here), and the
/// attention weights' masks alone (6 per forward, (B, H, T, T) = 3.2M elements each at the MOSI shape) made dropout
/// a third of a training step. Here one SplitMix64 output gives two 24-bit uniforms, compared against
/// round((1 - p) * 2^24) (the same 24-bit resolution as libtorch's float uniforms), written straight into the mask
/// tensor's memory. The mask's stream is seeded by one draw from torch's default generator, so
/// <c>torch.random.manual_seed</c> still fixes every mask, independently of the thread count.
/// On other devices libtorch's own dropout is used.
/// </summary>
public static class FastDropout
{
    public static Tensor Apply(Tensor x, double p, bool training)
    {
        if (!training || p == 0) return x.alias();
        if (x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32) return nn.functional.dropout(x, p, true);   // host: the fast path below is for CPU tensors; other devices keep libtorch's dropout
        using var mask = Mask(x.shape, p);
        return x * mask;
    }

    /// <summary>A float32 mask of <paramref name="shape"/>: 1 / (1 - p) with probability 1 - p, else 0.</summary>
    public static Tensor Mask(long[] shape, double p)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");
        ulong seed;
        using (var draw = randint(0, int.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64))   // host: a seed drawn from torch's default (CPU) generator
        {
            var d = draw.data<long>();
            seed = ((ulong)d[0] << 31) ^ (ulong)d[1];
        }
        var mask = empty(shape, ScalarType.Float32);   // host: written from C#, used only for CPU inputs
        Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), p, seed);
        return mask;
    }

    /// <summary>
    /// Fills <paramref name="dst"/> with i.i.d. values: 1/(1-p) when a 24-bit uniform falls below round((1-p) 2^24),
    /// else 0. Counter-based, so every element's value is fixed by (seed, index): block k of 16 elements uses
    /// z_j = SplitMix64(seed + (8k + j + 1) * gamma), j = 0..7; element 16k + j takes bits 40-63 of z_j and element
    /// 16k + 8 + j bits 8-31. The AVX-512, AVX2 and scalar paths give the same bits (integer arithmetic only).
    /// </summary>
    public static void Fill(Span<float> dst, double p, ulong seed)
    {
        uint keepBelow = (uint)Math.Round((1 - p) * (1 << 24));
        float scale = (float)(1 / (1 - p));
        int blocks = dst.Length / 16, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var gamma = Vector512.Create(Gamma);
            var step = Vector512.Create(unchecked(8 * Gamma));
            var counter = Vector512.Create(seed) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * gamma;
            var limit = Vector512.Create((ulong)keepBelow);
            var low24 = Vector512.Create(0xFFFFFFUL);
            var scaleBits = Vector512.Create(BitConverter.SingleToUInt32Bits(scale));
            var outBits = MemoryMarshal.Cast<float, uint>(dst);
            for (; k < blocks; k++, counter += step)
            {
                var z = counter;
                z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
                z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
                z ^= Vector512.ShiftRightLogical(z, 31);
                var hi = Vector512.LessThan(Vector512.ShiftRightLogical(z, 40), limit);
                var lo = Vector512.LessThan(Vector512.ShiftRightLogical(z, 8) & low24, limit);
                (Vector512.Narrow(hi, lo) & scaleBits).CopyTo(outBits.Slice(16 * k, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            // The same block law on 256-bit vectors (AVX2): a block's 8 z's as two vectors of 4.
            var gamma = Vector256.Create(Gamma);
            var step = Vector256.Create(unchecked(8 * Gamma));
            var c0 = Vector256.Create(seed) + Vector256.Create(1UL, 2, 3, 4) * gamma;
            var c1 = Vector256.Create(seed) + Vector256.Create(5UL, 6, 7, 8) * gamma;
            var limit = Vector256.Create((ulong)keepBelow);
            var low24 = Vector256.Create(0xFFFFFFUL);
            var scaleBits = Vector256.Create(BitConverter.SingleToUInt32Bits(scale));
            var outBits = MemoryMarshal.Cast<float, uint>(dst);
            for (; k < blocks; k++, c0 += step, c1 += step)
            {
                var z0 = Mix(c0); var z1 = Mix(c1);
                var hi = Vector256.Narrow(Vector256.LessThan(Vector256.ShiftRightLogical(z0, 40), limit), Vector256.LessThan(Vector256.ShiftRightLogical(z1, 40), limit));
                var lo = Vector256.Narrow(Vector256.LessThan(Vector256.ShiftRightLogical(z0, 8) & low24, limit), Vector256.LessThan(Vector256.ShiftRightLogical(z1, 8) & low24, limit));
                (hi & scaleBits).CopyTo(outBits.Slice(16 * k, 8));
                (lo & scaleBits).CopyTo(outBits.Slice(16 * k + 8, 8));
            }
        }
        for (; k < blocks; k++)   // scalar, a whole block at a time: each z gives two elements
        {
            var block = dst.Slice(16 * k, 16);
            for (int j = 0; j < 8; j++)
            {
                ulong z = Mix(seed + (ulong)(8 * k + j + 1) * Gamma);
                block[j] = (uint)(z >> 40) < keepBelow ? scale : 0f;
                block[8 + j] = (uint)((z >> 8) & 0xFFFFFF) < keepBelow ? scale : 0f;
            }
        }
        for (int i = 16 * k; i < dst.Length; i++)
        {
            int block = i / 16, j = i % 16;
            ulong z = Mix(seed + (ulong)(8 * block + j % 8 + 1) * Gamma);
            uint u = j < 8 ? (uint)(z >> 40) : (uint)((z >> 8) & 0xFFFFFF);
            dst[i] = u < keepBelow ? scale : 0f;
        }
    }

    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A dropout layer on <see cref="FastDropout"/> (no parameters, so state dicts are unchanged).</summary>
public sealed class KitDropout : nn.Module<Tensor, Tensor>
{
    private readonly double p;

    public KitDropout(double p) : base(nameof(KitDropout))
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");
        this.p = p;
    }

    public override Tensor forward(Tensor x) => FastDropout.Apply(x, p, training);
}
