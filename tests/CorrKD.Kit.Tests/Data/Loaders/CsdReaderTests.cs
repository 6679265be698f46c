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
    public void APickle_IsNotACsd()
    {
        var e = Assert.Throws<DataFormatException>(() => CsdReader.Read(Fixtures.File("mmsa_aligned.pkl")));
        Assert.Contains("not an HDF5 file", e.Message);
    }
}
