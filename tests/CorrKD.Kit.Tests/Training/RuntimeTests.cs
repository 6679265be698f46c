using CorrKD.Experiments;
using Xunit;

namespace CorrKD.Tests.Training;

public class RuntimeTests
{
    [Fact]
    public void AllocatorModeIsCheckedAndNamesTheVariable()
    {
        var e = Assert.Throws<ArgumentException>(() => KitRuntime.ConfigureAllocator("fast"));
        Assert.Contains("CORRKD_MALLOC=fast", e.Message);
        Assert.Contains("'tuned' or 'glibc'", e.Message);
    }

    [Fact]
    public void TunedAllocatorAppliesOnLinuxAndMatchesTheChildTunables()
    {
        // mallopt accepts every tuned value on glibc (a refused one throws), and the mode is recorded in run.json.
        var mode = OperatingSystem.IsLinux() ? "tuned" : "glibc";
        Assert.Equal(mode, KitRuntime.ConfigureAllocator("tuned"));
        Assert.Equal(mode, RunFolder.Environment_()["allocator"]!.GetValue<string>());
        // Tuning cannot be undone in-process, so asking for glibc afterwards keeps recording the truth.
        Assert.Equal(mode, KitRuntime.ConfigureAllocator("glibc"));
        Assert.Equal("glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=268435456",
            KitRuntime.GlibcTunables);
    }

    [Fact]
    public async Task FileLockExcludesAndWaitsUntilReleased()
    {
        var dir = Directory.CreateTempSubdirectory("corrkd-lock-");
        try
        {
            var path = Path.Combine(dir.FullName, "cells", "teacher.lock");
            var first = IO.FileLock.TryAcquire(path);
            Assert.NotNull(first);
            Assert.Null(IO.FileLock.TryAcquire(path));
            int waits = 0;
            var second = Task.Run(() => IO.FileLock.Acquire(path, () => Interlocked.Increment(ref waits), TimeSpan.FromMilliseconds(20)));
            // Release only once the second holder has found the lock taken (however slowly its thread starts).
            for (var t = System.Diagnostics.Stopwatch.StartNew(); Volatile.Read(ref waits) == 0 && t.Elapsed < TimeSpan.FromSeconds(30);)
                await Task.Delay(10);
            Assert.Equal(1, Volatile.Read(ref waits));
            await Task.Delay(100);
            Assert.False(second.IsCompleted, "a held lock must block the second holder");
            first!.Dispose();
            (await second.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();   // the lock passes on once released
            Assert.Equal(1, waits);
        }
        finally { dir.Delete(recursive: true); }
    }
}
