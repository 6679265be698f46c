using TorchSharp;
using Xunit;

namespace CorrKD.Tests;

public class NativeSmokeTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        try
        {
            using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
            using var s = a.sum();
            Assert.Equal(15f, s.item<float>());
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            Assert.Fail("TorchSharp's native library did not load. On Debian 12 this means the GLIBCXX_3.4.32 patch " +
                        "in build/TorchSharpGlibcxxFix.targets did not run on the copy being loaded; run `ldd` on " +
                        "libLibTorchSharp.so in the test output folder to see the real cause. Inner: " + e.Message);
        }
    }
}
