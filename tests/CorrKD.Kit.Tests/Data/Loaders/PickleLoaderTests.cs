using System.Text.Json;
using CorrKD.Data;
using CorrKD.Data.Formats;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>
/// Loading the four pickle fixtures must reproduce, per split and modality, the shapes, float32 sums, first values
/// and lengths that numpy computed when it wrote them (expected.json), plus the labels and ids.
/// </summary>
public class PickleLoaderTests
{
    private static readonly string[] Keys = { "text", "audio", "vision" };

    /// <summary>Compares every split of a loaded data set to the fixture's expected numbers.</summary>
    private static void AssertMatchesExpected(MsaDataset ds, string file)
    {
        var exp = Fixtures.Expected(file);
        foreach (var s in ds.Splits)
        {
            var e = exp.GetProperty(s.Name);
            Assert.Equal(e.GetProperty("n").GetInt32(), s.Count);
            for (int m = 0; m < 3; m++)
            {
                var em = e.GetProperty("arrays").GetProperty(Keys[m]);
                var x = s.Modalities[m];
                Assert.Equal(ScalarType.Float32, x.dtype);
                Assert.Equal(em.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray(), x.shape);
                using var scope = NewDisposeScope();
                // numpy summed the same float32 values in float64; summation order differs, hence the tolerance.
                Assert.Equal(em.GetProperty("sum").GetDouble(), x.to(ScalarType.Float64).sum().item<double>(), 4);
                var first = x.reshape(-1).narrow(0, 0, 3).data<float>().ToArray();
                Assert.Equal(em.GetProperty("first").EnumerateArray().Select(v => v.GetSingle()).ToArray(), first);
                Assert.Equal(em.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt64()).ToArray(), s.Lengths[m]);
            }
            Assert.Equal(e.GetProperty("ids").EnumerateArray().Select(v => v.GetString()!).ToArray(), s.Ids);
        }
    }

    private static float[] ExpectedLabels(string file, string split) =>
        Fixtures.Expected(file).GetProperty(split).GetProperty("labels").EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public void MmsaAligned_Float64WithMinusInf_LoadsAsFloat32_InfZeroed_LengthsFromLastNonZeroFrame()
    {
        using var ds = DatasetFiles.Load(Fixtures.File("mmsa_aligned.pkl"));
        AssertMatchesExpected(ds, "mmsa_aligned.pkl");
        Assert.Equal(TaskKind.Sentiment, ds.Task);
        Assert.Empty(ds.ClassNames);
        Assert.Equal(new[] { 12, 5, 7 }, ds.Dims);
        Assert.Equal(new[] { 8, 8, 8 }, ds.SeqLens);
        // The fixture put -inf at audio[0,1,2] and audio[1,0,0] of every split; MMSA sets them to 0.
        Assert.Equal(0f, ds.Train.Modalities[1][0, 1, 2].item<float>());
        Assert.Equal(0f, ds.Test.Modalities[1][1, 0, 0].item<float>());
        Assert.Equal(0L, ds.Train.Modalities[1].isinf().sum().item<long>());
        // Label 0 of each split is 3.0000002f (float rounding above the bound): accepted and clamped to 3.
        var want = ExpectedLabels("mmsa_aligned.pkl", "valid");
        want[0] = 3f;
        Assert.Equal(want, ds.Valid.Labels);
        Assert.Equal("mmsa_aligned", ds.Name);
        Assert.Equal(Path.GetFullPath(Fixtures.File("mmsa_aligned.pkl")), ds.Source);
    }

    [Fact]
    public void MmsaUnaligned_Float32Protocol5_UsesStoredAudioAndVisionLengths_PerModalitySeqLens()
    {
        Assert.Equal(5, Fixtures.Expected("mmsa_unaligned.pkl").GetProperty("protocol").GetInt32());
        using var ds = DatasetFiles.Load(Fixtures.File("mmsa_unaligned.pkl"), "mosi-unaligned");
        AssertMatchesExpected(ds, "mmsa_unaligned.pkl");
        Assert.Equal("mosi-unaligned", ds.Name);
        Assert.Equal(new[] { 8, 10, 6 }, ds.SeqLens);
        Assert.Equal(ExpectedLabels("mmsa_unaligned.pkl", "test"), ds.Test.Labels);
    }

    [Fact]
    public void MulTMosi_Protocol2_LabelsN11AreSentimentScores()
    {
        using var ds = DatasetFiles.Load(Fixtures.File("mult_mosi.pkl"));
        AssertMatchesExpected(ds, "mult_mosi.pkl");
        Assert.Equal(TaskKind.Sentiment, ds.Task);
        foreach (var s in new[] { "train", "valid", "test" })
            Assert.Equal(ExpectedLabels("mult_mosi.pkl", s), ds.Split(s).Labels);
        Assert.Equal("mult_mosi", ds.Name);
    }

    [Fact]
    public void MulTIemocap_LabelsN42BecomeClassIndices_InNeutralHappySadAngryOrder()
    {
        using var ds = DatasetFiles.Load(Fixtures.File("mult_iemocap.pkl"));
        AssertMatchesExpected(ds, "mult_iemocap.pkl");
        Assert.Equal(TaskKind.Emotion, ds.Task);
        Assert.Equal(new[] { "neutral", "happy", "sad", "angry" }, ds.ClassNames);
        // The fixture marks sample i with emotion i mod 4, so train (8 samples) is 0,1,2,3,0,1,2,3.
        Assert.Equal(new float[] { 0, 1, 2, 3, 0, 1, 2, 3 }, ds.Train.Labels);
        // (N, 2) byte-string ids [b"v3", b"3"] are joined with MMSA's "$_$".
        Assert.Equal("v3$_$3", ds.Valid.Ids[3]);
    }

    [Theory]
    [InlineData("/data/MOSI/Processed/aligned_50.pkl", "mosi-aligned_50")]
    [InlineData("/data/MOSEI/unaligned_50.pkl", "mosei-unaligned_50")]
    [InlineData("/data/mosei_senti_data.pkl", "mosei_senti")]
    [InlineData("/data/mosi-aligned_50.pkl", "mosi-aligned_50")]
    public void NameFromPath_FollowsTheFileName_AndPrefixesMmsaFolders(string path, string expected) =>
        Assert.Equal(expected, DatasetFiles.NameFromPath(path));
}

/// <summary>
/// The streaming path (array bytes left in the file and read chunk-wise into the tensor) is what MOSEI-size files
/// take; real fixtures are small enough to be read inline. With the inline limit at 0 every array payload, including
/// protocol 2's Latin-1-as-UTF-8 strings and protocol 5's bytearrays, goes through the streaming path and must give
/// the very same tensors.
/// </summary>
public class StreamingPathTests
{
    [Theory]
    [InlineData("mmsa_aligned.pkl")]
    [InlineData("mmsa_unaligned.pkl")]
    [InlineData("mult_mosi.pkl")]
    [InlineData("mult_iemocap.pkl")]
    public void EveryPayloadStreamedFromTheFile_GivesTheSameDataSet(string file)
    {
        var path = Path.GetFullPath(Fixtures.File(file));
        using var inline = PickleDatasetReader.Read(path, "a");
        using var streamed = PickleDatasetReader.Read(path, "b", inlineLimit: 0);
        foreach (var (x, y) in inline.Splits.Zip(streamed.Splits))
        {
            Assert.Equal(x.Labels, y.Labels);
            Assert.Equal(x.Ids, y.Ids);
            for (int m = 0; m < 3; m++)
            {
                Assert.Equal(x.Lengths[m], y.Lengths[m]);
                Assert.True(x.Modalities[m].eq(y.Modalities[m]).all().item<bool>(), $"{file} {x.Name} modality {m}");
            }
        }
    }

    [Fact]
    public void TruncatedInsideAStreamedPayload_SaysTruncated()
    {
        var dir = Fixtures.TempDir();
        try
        {
            var bytes = File.ReadAllBytes(Fixtures.File("mmsa_aligned.pkl"));
            var path = Path.Combine(dir, "cut.pkl");
            File.WriteAllBytes(path, bytes[..(bytes.Length * 3 / 4)]);
            var e = Assert.Throws<DataFormatException>(() => PickleDatasetReader.Read(path, "cut", inlineLimit: 0).Dispose());
            Assert.Contains("truncated", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
