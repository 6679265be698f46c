using System.Diagnostics;
using CorrKD.Data;
using CorrKD.Data.Formats;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>MmsaPickleWriter writes what DatasetFiles.Load reads back identically, atomically.</summary>
public class WriterTests
{
    private static void AssertSame(MsaDataset a, MsaDataset b)
    {
        Assert.Equal(a.Task, b.Task);
        Assert.Equal(a.ClassNames, b.ClassNames);
        foreach (var (x, y) in a.Splits.Zip(b.Splits))
        {
            Assert.Equal(x.Labels, y.Labels);
            Assert.Equal(x.Ids, y.Ids);
            for (int m = 0; m < 3; m++)
            {
                Assert.Equal(x.Lengths[m], y.Lengths[m]);
                Assert.Equal(x.Modalities[m].shape, y.Modalities[m].shape);
                Assert.True(x.Modalities[m].eq(y.Modalities[m]).all().item<bool>(), $"{x.Name} modality {m} differs");
            }
        }
    }

    [Theory]
    [InlineData(TaskKind.Sentiment)]
    [InlineData(TaskKind.Emotion)]
    public void RoundTrip_IsExact(TaskKind task)
    {
        var dir = Fixtures.TempDir();
        try
        {
            var path = Path.Combine(dir, "tiny.pkl");
            using var ds = LoaderTestData.Tiny(task, task == TaskKind.Emotion ? new[] { "neutral", "happy", "sad" } : Array.Empty<string>());
            MmsaPickleWriter.Write(ds, path);
            using var back = DatasetFiles.Load(path, "tiny");
            AssertSame(ds, back);
            // Atomic write: only the final file is left, no temp file.
            Assert.Equal(new[] { "tiny.pkl" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void RoundTrip_OfARealLayoutFixture_KeepsEverything()
    {
        var dir = Fixtures.TempDir();
        try
        {
            using var ds = DatasetFiles.Load(Fixtures.File("mmsa_unaligned.pkl"));
            var path = Path.Combine(dir, "copy.pkl");
            MmsaPickleWriter.Write(ds, path);
            using var back = DatasetFiles.Load(path);
            AssertSame(ds, back);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Overwrite_ReplacesTheOldFile()
    {
        var dir = Fixtures.TempDir();
        try
        {
            var path = Path.Combine(dir, "x.pkl");
            File.WriteAllText(path, "old");
            using var ds = LoaderTestData.Tiny(TaskKind.Sentiment, Array.Empty<string>());
            MmsaPickleWriter.Write(ds, path);
            using var back = DatasetFiles.Load(path);
            Assert.Equal(5, back.Train.Count);
        }
        finally { Directory.Delete(dir, true); }
    }
}
