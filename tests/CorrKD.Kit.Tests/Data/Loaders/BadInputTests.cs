using CorrKD.Data;
using CorrKD.Data.Formats;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>
/// Every defect gives one DataFormatException whose message names the file and, where it applies, the split, the
/// key and what was expected. Each broken fixture (data/tools/make_fixtures.py) differs from good_small.pkl in one place.
/// </summary>
public class BadInputTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();
    public void Dispose() => Directory.Delete(_dir, true);

    private static DataFormatException Fails(string path, params string[] mustMention)
    {
        var e = Assert.Throws<DataFormatException>(() => DatasetFiles.Load(path).Dispose());
        Assert.Contains(Path.GetFileName(path), e.Message);
        foreach (var s in mustMention) Assert.Contains(s, e.Message);
        return e;
    }

    /// <summary>Bytes of a good pickle, changed by the caller, written to a temp file.</summary>
    private string Variant(Func<byte[], byte[]> change, string name)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, change(File.ReadAllBytes(Fixtures.Broken("good_small.pkl"))));
        return path;
    }

    [Fact]
    public void GoodSmall_Loads_SoEveryFailureBelowComesFromItsOneDefect()
    {
        using var ds = DatasetFiles.Load(Fixtures.Broken("good_small.pkl"));
        Assert.Equal(3, ds.Train.Count);
    }

    [Fact]
    public void MissingFile() => Fails(Path.Combine(Fixtures.Dir, "no_such_file.pkl"), "file not found");

    [Fact]
    public void TruncatedPickle_SaysTruncated()
    {
        // Cut in the middle: the parser runs out of bytes before STOP (or inside an array's bytes).
        var path = Variant(b => b[..(b.Length / 2)], "truncated.pkl");
        Fails(path, "truncated");
    }

    [Fact]
    public void CorruptedOpcode_SaysUnknownOpcodeAndWhere()
    {
        // Byte 2 is the first opcode after PROTO 4 (a FRAME, 0x95); 0xff is no pickle opcode.
        var path = Variant(b => { var c = (byte[])b.Clone(); c[2] = 0xff; return c; }, "corrupted.pkl");
        Fails(path, "unknown opcode 0xff", "at byte 2");
    }

    [Fact]
    public void NotAPickleAtAll() => Fails(Fixtures.Broken("not_a_pickle.txt"), "not a pickle");

    [Fact]
    public void PickleOfAList_IsNotADataSet() => Fails(Fixtures.Broken("a_list.pkl"), "not a data set", "a list");

    [Fact]
    public void DictWithoutSplits_IsNotADataSet() => Fails(Fixtures.Broken("dict_without_splits.pkl"), "not a data set", "alpha", "train, valid, test");

    [Fact]
    public void MissingSplit() => Fails(Fixtures.Broken("missing_split.pkl"), "split 'valid' is missing");

    [Fact]
    public void MissingKey() => Fails(Fixtures.Broken("missing_key.pkl"), "split 'test'", "key 'vision' is missing");

    [Fact]
    public void NDiffersAcrossModalities() => Fails(Fixtures.Broken("n_mismatch.pkl"), "split 'train'", "text has 3", "audio has 2");

    [Fact]
    public void WrongRank() => Fails(Fixtures.Broken("wrong_rank.pkl"), "split 'valid'", "key 'text'", "rank 3", "(2, 12)");

    [Fact]
    public void NaN_IsAnErrorWithSplitModalityAndCount() => Fails(Fixtures.Broken("nan_vision.pkl"), "split 'train'", "key 'vision'", "2 NaN");

    [Fact]
    public void InfOutsideAudio_IsAnError() => Fails(Fixtures.Broken("inf_text.pkl"), "split 'test'", "key 'text'", "1 infinite");

    [Fact]
    public void MinusInfInAudio_IsSetToZero_AsMmsaDoes()
    {
        using var ds = DatasetFiles.Load(Fixtures.Broken("inf_audio_ok.pkl"));
        // good_small's audio is all ones (3*4*2 = 24 values); the one -inf becomes 0, so the sum is 23.
        Assert.Equal(23f, ds.Train.Modalities[1].sum().item<float>());
    }

    [Fact]
    public void SentimentOutsideMinus3To3() => Fails(Fixtures.Broken("label_out_of_range.pkl"), "split 'valid'", "key 'labels'", "row 1", "3.5", "[-3, 3]");

    [Fact]
    public void IemocapRowWithTwoPositives_NamesSplitAndRow() =>
        Fails(Fixtures.Broken("iemocap_two_positives.pkl"), "split 'train'", "row 2", "2 emotions marked positive");

    [Fact]
    public void EmotionIndexOutOfRange_InAKitWrittenMmsaFile()
    {
        // A 2-class emotion data set whose test split claims class 2.
        var path = Path.Combine(_dir, "emo.pkl");
        using (var ds = LoaderTestData.Tiny(TaskKind.Emotion, new[] { "calm", "angry" }, badTestLabel: 2f))
            MmsaPickleWriter.Write(ds, path);
        Fails(path, "split 'test'", "key 'classification_labels'", "not a class index in 0..1");
    }

    [Fact]
    public void UnknownFormat_ListsTheKeysFound()
    {
        // A dict with the three splits but neither regression_labels (MMSA) nor labels (MulT).
        var path = Variant(b =>
        {
            var s = System.Text.Encoding.Latin1.GetString(b).Replace("labels", "labelz");
            return System.Text.Encoding.Latin1.GetBytes(s);
        }, "unknown.pkl");
        Fails(path, "unknown data format", "labelz");
    }

    [Fact]
    public void CsdFile_IsRefusedAsADataSet_WithAPointerToCsdReader() =>
        Fails(Fixtures.File("covarep_tiny.csd"), "CsdReader.Read");
}
