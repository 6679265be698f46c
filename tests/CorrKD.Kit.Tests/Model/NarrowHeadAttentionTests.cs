using System.Runtime.Intrinsics;
using CorrKD.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Model;

/// <summary>The C# attention kernel: the same math as the libtorch reference (checked in float64), with and without
/// dropout, forward and backward, over shapes with and without a partial 8-lane tail; the same bits on any thread
/// count; and its exp polynomial's accuracy.</summary>
public class NarrowHeadAttentionTests
{
    // (batch, time, heads, head width): the kit's MOSI/IEMOCAP heads, MOSEI's 8 heads of 5, short and odd lengths.
    public static IEnumerable<object[]> Shapes => new[]
    {
        new object[] { 3, 50, 10, 4 }, new object[] { 2, 7, 10, 4 }, new object[] { 2, 1, 2, 4 },
        new object[] { 2, 21, 8, 5 }, new object[] { 1, 16, 1, 8 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchTheFloat64ReferenceWithTheSameMask(int b, int t, int heads, int dh)
    {
        using var scope = NewDisposeScope();
        foreach (var p in new[] { 0.0, 0.3 })
        {
            random.manual_seed(11);
            var qkv = (randn(new long[] { b, t, 3 * heads * dh }) * 2).requires_grad_(true);
            var up = randn(new long[] { b, t, heads * dh });
            random.manual_seed(5);
            var y = NarrowHeadAttention.Apply(qkv, heads, p, training: true);
            (y * up).sum().backward();

            random.manual_seed(5);   // the kernel's first draw is its mask: the same seed gives the same mask
            var mask = p > 0 ? FastDropout.Mask(new long[] { b, heads, t, t }, p).to_type(ScalarType.Float64) : null;
            var q64 = qkv.detach().to_type(ScalarType.Float64).requires_grad_(true);
            var y64 = NarrowHeadAttention.Reference(q64, heads, w => mask is null ? w : w * mask);
            (y64 * up.to_type(ScalarType.Float64)).sum().backward();

            AssertClose(y64, y, $"output, p={p}");
            AssertClose(q64.grad!, qkv.grad!, $"qkv gradient, p={p}");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var err = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        var size = expected.abs().max().item<double>();
        Assert.True(err <= 2e-6 * Math.Max(size, 1), $"{what}: max |error| {err:E2} against max |value| {size:E2}");
    }

    [Fact]
    public void TheBitsDoNotDependOnTheThreadCount()
    {
        using var scope = NewDisposeScope();
        int before = get_num_threads();
        try
        {
            (Tensor Y, Tensor G) Run(int threads)
            {
                set_num_threads(threads);
                random.manual_seed(3);
                var qkv = randn(new long[] { 16, 50, 120 }).requires_grad_(true);
                var y = NarrowHeadAttention.Apply(qkv, 10, 0.1, training: true);
                (y * y).sum().backward();
                return (y.detach(), qkv.grad!);
            }
            var one = Run(1); var two = Run(2);
            Assert.True(one.Y.eq(two.Y).all().item<bool>(), "output differs between 1 and 2 threads");
            Assert.True(one.G.eq(two.G).all().item<bool>(), "gradient differs between 1 and 2 threads");
        }
        finally { set_num_threads(before); }
    }

    [Fact]
    public void LongSequencesAndWideHeadsRunInTheKernel()
    {
        // One head of width 64 over T = 300 (an unaligned dataset's audio length): its buffers are heap scratch, not
        // stack, so the kernel runs; checked against the float64 ops with the same mask, forward and backward.
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var qkv = randn(new long[] { 2, 300, 3 * 64 }).requires_grad_(true);
        var up = randn(new long[] { 2, 300, 64 });
        random.manual_seed(6);
        var y = NarrowHeadAttention.Apply(qkv, 1, 0.2, training: true);
        (y * up).sum().backward();
        random.manual_seed(6);
        var mask = FastDropout.Mask(new long[] { 2, 1, 300, 300 }, 0.2).to_type(ScalarType.Float64);
        var q64 = qkv.detach().to_type(ScalarType.Float64).requires_grad_(true);
        var y64 = NarrowHeadAttention.Reference(q64, 1, w => w * mask);
        (y64 * up.to_type(ScalarType.Float64)).sum().backward();
        AssertClose(y64, y, "output");
        AssertClose(q64.grad!, qkv.grad!, "qkv gradient");
    }

    [Fact]
    public void EvaluationIsTheTrainingForwardWithoutDropout()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        var qkv = randn(new long[] { 4, 30, 120 });
        var train = NarrowHeadAttention.Apply(qkv.requires_grad_(true), 10, 0.0, training: true);
        Tensor eval;
        using (no_grad()) eval = NarrowHeadAttention.Apply(qkv, 10, 0.1, training: false);
        Assert.True(train.detach().eq(eval).all().item<bool>());
    }

    [Fact]
    public void ExpIsWithinTwoUlpOnTheSoftmaxRange()
    {
        double worst = 0; float at = 0;
        for (int i = 0; i + 7 <= 870_000; i += 8)   // x from 0 down to -87, where the clamp starts
        {
            var x = Vector256.Create(Enumerable.Range(0, 8).Select(k => -(i + k) / 10_000f).ToArray());
            var e = NarrowHeadAttention.Exp(x);
            for (int k = 0; k < 8; k++)
            {
                double exact = Math.Exp(x.GetElement(k)); float f = (float)exact; double ulp = MathF.BitIncrement(f) - f;
                double err = Math.Abs(e.GetElement(k) - exact) / ulp;
                if (err > worst) (worst, at) = (err, x.GetElement(k));
            }
        }
        Assert.True(worst <= 2, $"worst error {worst:F2} ulp, at x = {at}");
    }
}
