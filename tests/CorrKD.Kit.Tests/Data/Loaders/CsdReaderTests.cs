using CorrKD.Data;
using CorrKD.Data.Formats;
using Xunit;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>The .csd fixture (h5py, gzip datasets) has two videos: vidA 4x5 and vidB 2x5, intervals of 0.5 s.</summary>
public class CsdReaderTests
{
    [Fact]
    public void ReadsEveryVideo_FeaturesAndIntervals_AsNumpyWroteThem()
    {
        var f = CsdReader.Read(Fixtures.File("covarep_tiny.csd"));
        var exp = Fixtures.Expected("covarep_tiny.csd");
        Assert.Equal("COVAREP", f.RootName);
        Assert.Equal(new[] { "vidA", "vidB" }, f.Videos.Keys.ToArray());
        foreach (var (id, v) in f.Videos)
        {
            var e = exp.GetProperty("videos").GetProperty(id);
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray(), new[] { v.Rows, v.Dim });
            Assert.Equal(e.GetProperty("sum").GetDouble(), v.Features.Cast<float>().Sum(x => (double)x), 5);
            Assert.Equal(e.GetProperty("first").EnumerateArray().Select(x => x.GetSingle()).ToArray(), new[] { v.Features[0, 0], v.Features[0, 1], v.Features[0, 2] });
            // Row r covers [0.5 r, 0.5 r + 0.5).
            Assert.Equal(0.0, v.Intervals[0, 0]);
            Assert.Equal(0.5, v.Intervals[0, 1]);
            Assert.Equal(e.GetProperty("intervals_last_end").GetDouble(), v.Intervals[v.Rows - 1, 1]);
        }
    }

    [Fact]
    public void TheSdkLayout_VlenStringMetadataAndSummary_AsH5pyWroteThem()
    {
        // covarep_sdk.csd is written the way mmdatasdk's writeCSD does: float64 features/intervals, every metadata
        // entry a variable-length str dataset of shape (1,). Three videos of 6, 3 and 9 frames, 7-d features.
        var f = CsdReader.Read(Fixtures.File("covarep_sdk.csd"));
        var exp = Fixtures.Expected("covarep_sdk.csd");
        var s = f.Summary();
        Assert.Equal("COVAREP", s.RootName);
        Assert.Equal(exp.GetProperty("videos").GetInt32(), s.Videos);
        Assert.Equal(new[] { exp.GetProperty("dim").GetInt32() }, s.FeatureDims);
        Assert.Equal(new[] { 3.0, 6.0, 9.0 }, new[] { s.FramesPerVideo.Min, s.FramesPerVideo.Median, s.FramesPerVideo.Max });
        var spans = exp.GetProperty("spans").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(spans[0], s.SpanPerVideo.Min, 12);
        Assert.Equal(spans[1], s.SpanPerVideo.Median, 12);
        Assert.Equal(spans[2], s.SpanPerVideo.Max, 12);
        var meta = exp.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(meta.OrderBy(kv => kv.Key, StringComparer.Ordinal), s.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(11, s.Metadata.Count);
    }

    [Fact]
    public void FixedLengthByteMetadataReadsAsText() =>
        Assert.Equal("COVAREP", CsdReader.Read(Fixtures.File("covarep_tiny.csd")).Metadata["root name"]);

    [Fact]
    public void SpreadTakesTheMiddleOfAnEvenCount()
    {
        Assert.Equal(new Spread(1, 2.5, 4), Spread.Of(new double[] { 4, 1, 3, 2 }));
        Assert.True(double.IsNaN(Spread.Of(Array.Empty<double>()).Median));
    }

    [Fact]
    public void APickle_IsNotACsd()
    {
        var e = Assert.Throws<DataFormatException>(() => CsdReader.Read(Fixtures.File("mmsa_aligned.pkl")));
        Assert.Contains("not an HDF5 file", e.Message);
    }
}
