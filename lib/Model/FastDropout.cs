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
        var seed = DrawSeed(p);
        var mask = empty(shape, ScalarType.Float32);   // host: written from C#, used only for CPU inputs
        Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), p, seed);
        return mask;
    }

    /// <summary>
    /// The same mask as <see cref="Mask"/> (the same draw from torch's generator, the same elements kept) for
    /// <paramref name="count"/> elements, one bit each: element i is kept when bit i % 8 of byte i / 8 is set. A uint8
    /// tensor of ceil(count / 16) * 2 + 8 bytes (the last 8 zero, so a reader may load 8 bytes at any element).
    /// 32 times smaller than the float mask, which at the attention weights' size does not stay in cache.
    /// </summary>
    public static Tensor MaskBits(long count, double p)
    {
        var seed = DrawSeed(p);
        long blocks = (count + 15) / 16;
        var bits = zeros(new[] { 2 * blocks + 8 }, ScalarType.Byte);   // host: read from C# only
        FillBits(MemoryMarshal.Cast<byte, ushort>(bits.bytes)[..(int)blocks], count, p, seed);
        return bits;
    }

    /// <summary>The mask stream's seed: one draw from torch's default (CPU) generator.</summary>
    private static ulong DrawSeed(double p)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");
        using var draw = randint(0, int.MaxValue, new long[] { 2 }, dtype: ScalarType.Int64);   // host: a seed drawn from torch's default (CPU) generator
        var d = draw.data<long>();
        return ((ulong)d[0] << 31) ^ (ulong)d[1];
    }

    /// <summary>
    /// Fills <paramref name="dst"/> with i.i.d. values: 1/(1-p) when a 24-bit uniform falls below round((1-p) 2^24),
    /// else 0. Counter-based, so every element's value is fixed by (seed, index): block k of 16 elements uses
    /// z_j = SplitMix64(seed + (8k + j + 1) * gamma), j = 0..7; element 16k + j takes bits 40-63 of z_j and element
    /// 16k + 8 + j bits 8-31. The AVX-512, AVX2 and scalar paths give the same bits (integer arithmetic only).
    /// </summary>
    public static void Fill(Span<float> dst, double p, ulong seed) =>
        Generate(dst.Length, p, seed, new FloatSink(MemoryMarshal.Cast<float, uint>(dst), BitConverter.SingleToUInt32Bits((float)(1 / (1 - p)))));

    /// <summary>The elements of <see cref="Fill"/>'s law as bits: bit j of dst[k] keeps element 16k + j (count elements).</summary>
    public static void FillBits(Span<ushort> dst, long count, double p, ulong seed)
    {
        if (dst.Length < (count + 15) / 16) throw new ArgumentException($"dropout bits: {dst.Length} blocks hold fewer than {count} elements");
        Generate(count, p, seed, new BitSink(dst));
    }

    /// <summary>Where a block of 16 keep decisions goes: lanes all-ones for kept elements, 16 at once (AVX-512) or as
    /// elements 0-7 and 8-15; single elements at the tail.</summary>
    private interface ISink
    {
        void Block(int k, Vector512<uint> keep);
        void Block(int k, Vector256<uint> first, Vector256<uint> second);
        void Element(int i, bool keep);
    }

    private readonly ref struct FloatSink(Span<uint> dst, uint scaleBits) : ISink
    {
        private readonly Span<uint> dst = dst;
        public void Block(int k, Vector512<uint> keep) => (keep & Vector512.Create(scaleBits)).CopyTo(dst.Slice(16 * k, 16));
        public void Block(int k, Vector256<uint> first, Vector256<uint> second)
        {
            (first & Vector256.Create(scaleBits)).CopyTo(dst.Slice(16 * k, 8));
            (second & Vector256.Create(scaleBits)).CopyTo(dst.Slice(16 * k + 8, 8));
        }
        public void Element(int i, bool keep) => dst[i] = keep ? scaleBits : 0;
    }

    private readonly ref struct BitSink(Span<ushort> dst) : ISink
    {
        private readonly Span<ushort> dst = dst;
        public void Block(int k, Vector512<uint> keep) => dst[k] = (ushort)keep.ExtractMostSignificantBits();
        public void Block(int k, Vector256<uint> first, Vector256<uint> second) =>
            dst[k] = (ushort)(first.ExtractMostSignificantBits() | (second.ExtractMostSignificantBits() << 8));
        public void Element(int i, bool keep) { if (keep) dst[i / 16] |= (ushort)(1 << (i % 16)); else dst[i / 16] &= (ushort)~(1 << (i % 16)); }
    }

    private static void Generate<TSink>(long count, double p, ulong seed, TSink sink) where TSink : ISink, allows ref struct
    {
        if (count > int.MaxValue) throw new ArgumentException($"dropout mask: {count} elements is more than one span holds");
        int n = (int)count;
        uint keepBelow = (uint)Math.Round((1 - p) * (1 << 24));
        int blocks = n / 16, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var gamma = Vector512.Create(Gamma);
            var step = Vector512.Create(unchecked(8 * Gamma));
            var counter = Vector512.Create(seed) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * gamma;
            var limit = Vector512.Create((ulong)keepBelow);
            var low24 = Vector512.Create(0xFFFFFFUL);
            for (; k < blocks; k++, counter += step)
            {
                var z = counter;
                z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
                z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
                z ^= Vector512.ShiftRightLogical(z, 31);
                var hi = Vector512.LessThan(Vector512.ShiftRightLogical(z, 40), limit);
                var lo = Vector512.LessThan(Vector512.ShiftRightLogical(z, 8) & low24, limit);
                sink.Block(k, Vector512.Narrow(hi, lo));
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
            for (; k < blocks; k++, c0 += step, c1 += step)
            {
                var z0 = Mix(c0); var z1 = Mix(c1);
                var hi = Vector256.Narrow(Vector256.LessThan(Vector256.ShiftRightLogical(z0, 40), limit), Vector256.LessThan(Vector256.ShiftRightLogical(z1, 40), limit));
                var lo = Vector256.Narrow(Vector256.LessThan(Vector256.ShiftRightLogical(z0, 8) & low24, limit), Vector256.LessThan(Vector256.ShiftRightLogical(z1, 8) & low24, limit));
                sink.Block(k, hi, lo);
            }
        }
        for (; k < blocks; k++)   // scalar, a whole block at a time: each z gives two elements
            for (int j = 0; j < 8; j++)
            {
                ulong z = Mix(seed + (ulong)(8 * k + j + 1) * Gamma);
                sink.Element(16 * k + j, (uint)(z >> 40) < keepBelow);
                sink.Element(16 * k + 8 + j, (uint)((z >> 8) & 0xFFFFFF) < keepBelow);
            }
        for (int i = 16 * k; i < n; i++)
        {
            int block = i / 16, j = i % 16;
            ulong z = Mix(seed + (ulong)(8 * block + j % 8 + 1) * Gamma);
            uint u = j < 8 ? (uint)(z >> 40) : (uint)((z >> 8) & 0xFFFFFF);
            sink.Element(i, u < keepBelow);
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
