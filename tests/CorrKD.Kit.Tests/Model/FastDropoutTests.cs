using CorrKD.Model;
using Xunit;

namespace CorrKD.Tests.Model;

/// <summary>The dropout mask: its documented per-element law, the same on every code path, and its keep rate.</summary>
public class FastDropoutTests
{
    // The documented law, element by element, written out independently of FastDropout's loops.
    private static float Expected(int i, double p, ulong seed)
    {
        const ulong gamma = 0x9E3779B97F4A7C15UL;
        int block = i / 16, j = i % 16;
        ulong z = seed + (ulong)(8 * block + j % 8 + 1) * gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        uint u = j < 8 ? (uint)(z >> 40) : (uint)((z >> 8) & 0xFFFFFF);
        return u < (uint)Math.Round((1 - p) * (1 << 24)) ? (float)(1 / (1 - p)) : 0f;
    }

    [Theory]
    [InlineData(1, 0.1, 7UL)]
    [InlineData(16, 0.1, 7UL)]
    [InlineData(1000, 0.5, 123456789UL)]   // whole blocks and a partial one
    [InlineData(4099, 0.3, ulong.MaxValue)]
    public void EveryElementFollowsTheDocumentedLaw(int n, double p, ulong seed)
    {
        var mask = new float[n];
        FastDropout.Fill(mask, p, seed);
        for (int i = 0; i < n; i++) Assert.True(Expected(i, p, seed) == mask[i], $"element {i}: {mask[i]}, law {Expected(i, p, seed)}");
    }

    [Theory]
    [InlineData(1, 0.1, 7UL)]
    [InlineData(1000, 0.5, 123456789UL)]
    [InlineData(4099, 0.3, ulong.MaxValue)]
    public void TheBitsKeepExactlyTheElementsTheLawKeeps(int n, double p, ulong seed)
    {
        var bits = new ushort[(n + 15) / 16];
        Array.Fill(bits, (ushort)0xFFFF);   // dirty: every bit is written, not only the kept ones
        FastDropout.FillBits(bits, n, p, seed);
        for (int i = 0; i < n; i++)
        {
            bool kept = (bits[i / 16] >> (i % 16) & 1) == 1;
            Assert.True(kept == (Expected(i, p, seed) != 0), $"element {i}: bit {kept}, law {Expected(i, p, seed)}");
        }
    }

    [Fact]
    public void MaskBitsIsMaskOnTheSameSeed()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        const int n = 2 * 10 * 7 * 7;   // not a whole number of 16-element blocks
        TorchSharp.torch.random.manual_seed(21);
        var floats = FastDropout.Mask(new long[] { 2, 10, 7, 7 }, 0.2).data<float>().ToArray();
        TorchSharp.torch.random.manual_seed(21);
        var bytes = FastDropout.MaskBits(n, 0.2).data<byte>().ToArray();
        Assert.Equal(2 * ((n + 15) / 16) + 8, bytes.Length);
        for (int i = 0; i < n; i++) Assert.True((floats[i] != 0) == ((bytes[i / 8] >> (i % 8) & 1) == 1), $"element {i}");
        Assert.All(bytes[^8..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void APrefixIsTheSameMaskAsTheWhole()
    {
        var whole = new float[320]; var part = new float[37];
        FastDropout.Fill(whole, 0.1, 42); FastDropout.Fill(part, 0.1, 42);
        Assert.Equal(whole[..37], part);
    }

    [Fact]
    public void KeepsOneMinusPOfTheElementsScaledByItsInverse()
    {
        var mask = new float[1 << 20];
        FastDropout.Fill(mask, 0.1, 99);
        double kept = mask.Count(v => v != 0) / (double)mask.Length;
        Assert.InRange(kept, 0.9 - 0.002, 0.9 + 0.002);   // sd of the share is 0.0003
        Assert.All(mask.Where(v => v != 0).Distinct(), v => Assert.Equal((float)(1 / 0.9), v));
    }
}
