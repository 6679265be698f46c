using Microsoft.Data.Analysis;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Data;

/// <summary>Sentiment (MOSI/MOSEI: a score in [-3, 3]) or emotion (IEMOCAP: one of K named classes).</summary>
public enum TaskKind { Sentiment, Emotion }

/// <summary>
/// One split of a multimodal data set, held as CPU float32 tensors.
/// Modalities[m] has shape (N, T_m, d_m), zero-padded at the end; Lengths[m][i] is sample i's valid frame count.
/// Labels: for Sentiment the continuous score; for Emotion the class index (0..K-1) stored as float.
/// </summary>
public sealed class MsaSplit : IDisposable
{
    public string Name { get; }
    public Tensor[] Modalities { get; }
    public long[][] Lengths { get; }
    public float[] Labels { get; }
    public string[] Ids { get; }
    public int Count => Labels.Length;

    public MsaSplit(string name, Tensor[] modalities, long[][] lengths, float[] labels, string[] ids)
    {
        if (modalities.Length != 3) throw new ArgumentException("expected 3 modality tensors (language, audio, vision)");
        for (int m = 0; m < 3; m++)
        {
            var mod = (Modality)m;
            if (modalities[m].dim() != 3)
                throw new ArgumentException($"split '{name}', {mod}: expected rank 3 (N, T, d), got shape [{string.Join(",", modalities[m].shape)}]");
            if (modalities[m].shape[0] != labels.Length)
                throw new ArgumentException($"split '{name}', {mod}: N={modalities[m].shape[0]} differs from the {labels.Length} labels");
            if (lengths[m].Length != labels.Length)
                throw new ArgumentException($"split '{name}', {mod}: {lengths[m].Length} lengths for {labels.Length} samples");
        }
        if (ids.Length != labels.Length) throw new ArgumentException($"split '{name}': {ids.Length} ids for {labels.Length} samples");
        Name = name; Modalities = modalities; Lengths = lengths; Labels = labels; Ids = ids;
    }

    public Tensor this[Modality m] => Modalities[(int)m];

    public void Dispose() { foreach (var t in Modalities) t.Dispose(); }
}

/// <summary>A data set: three splits plus what kind of labels it carries. Input dims always come from the data.</summary>
public sealed class MsaDataset : IDisposable
{
    public string Name { get; }
    /// <summary>Where it came from: a file path or "synthetic:NAME:seed".</summary>
    public string Source { get; }
    public TaskKind Task { get; }
    /// <summary>Emotion names for TaskKind.Emotion (IEMOCAP: neutral, happy, sad, angry); empty for sentiment.</summary>
    public string[] ClassNames { get; }
    public MsaSplit Train { get; }
    public MsaSplit Valid { get; }
    public MsaSplit Test { get; }

    public MsaDataset(string name, string source, TaskKind task, string[] classNames, MsaSplit train, MsaSplit valid, MsaSplit test)
    {
        Name = name; Source = source; Task = task; ClassNames = classNames; Train = train; Valid = valid; Test = test;
        for (int m = 0; m < 3; m++)
            foreach (var s in new[] { valid, test })
                if (s.Modalities[m].shape[2] != train.Modalities[m].shape[2])
                    throw new ArgumentException($"{source}: {(Modality)m} feature dim {s.Modalities[m].shape[2]} in split '{s.Name}' differs from {train.Modalities[m].shape[2]} in 'train'");
    }

    public IEnumerable<MsaSplit> Splits => new[] { Train, Valid, Test };

    public MsaSplit Split(string name) => name switch
    {
        "train" => Train,
        "valid" => Valid,
        "test" => Test,
        _ => throw new ArgumentException($"unknown split '{name}': expected train, valid or test"),
    };

    /// <summary>Feature dim per modality (l, a, v), read from the data.</summary>
    public int[] Dims => Enumerable.Range(0, 3).Select(m => (int)Train.Modalities[m].shape[2]).ToArray();
    /// <summary>Sequence length per modality (l, a, v).</summary>
    public int[] SeqLens => Enumerable.Range(0, 3).Select(m => (int)Train.Modalities[m].shape[1]).ToArray();

    /// <summary>
    /// Per split and modality: N, T, d, mean, std, NaN and inf counts, plus the label histogram
    /// (sentiment: 7 rounded bins -3..3 and the count of exact zeros; emotion: per class).
    /// </summary>
    public DataFrame Summary()
    {
        var split = new StringDataFrameColumn("split"); var mod = new StringDataFrameColumn("modality");
        var n = new Int64DataFrameColumn("N"); var t = new Int64DataFrameColumn("T"); var d = new Int64DataFrameColumn("dim");
        var mean = new DoubleDataFrameColumn("mean"); var std = new DoubleDataFrameColumn("std");
        var nan = new Int64DataFrameColumn("nan"); var inf = new Int64DataFrameColumn("inf");
        var labels = new StringDataFrameColumn("labels");
        foreach (var s in Splits)
        {
            var hist = LabelHistogramText(s);
            for (int m = 0; m < 3; m++)
            {
                using var scope = NewDisposeScope();
                var x = s.Modalities[m];
                split.Append(s.Name); mod.Append(((Modality)m).ToString().ToLowerInvariant());
                n.Append(x.shape[0]); t.Append(x.shape[1]); d.Append(x.shape[2]);
                nan.Append(x.isnan().sum().item<long>()); inf.Append(x.isinf().sum().item<long>());
                var finite = x.nan_to_num(0, 0, 0).to(ScalarType.Float64);
                mean.Append(finite.mean().item<double>()); std.Append(finite.numel() > 1 ? finite.std().item<double>() : 0.0);
                labels.Append(hist);
            }
        }
        return new DataFrame(split, mod, n, t, d, mean, std, nan, inf, labels);
    }

    /// <summary>Label counts of one split, keyed by bin name ("-3".."3" and "zero" for sentiment, class names for emotion).</summary>
    public SortedDictionary<string, int> LabelCounts(MsaSplit s)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        if (Task == TaskKind.Emotion)
        {
            foreach (var c in ClassNames) counts[c] = 0;
            foreach (var y in s.Labels) counts[ClassNames[(int)y]]++;
        }
        else
        {
            for (int b = -3; b <= 3; b++) counts[b.ToString("+0;-0;0")] = 0;
            counts["zero"] = 0;
            foreach (var y in s.Labels)
            {
                var b = (int)Math.Round(Math.Clamp(y, -3f, 3f), MidpointRounding.ToEven);
                counts[b.ToString("+0;-0;0")]++;
                if (y == 0f) counts["zero"]++;
            }
        }
        return counts;
    }

    private string LabelHistogramText(MsaSplit s) => string.Join(" ", LabelCounts(s).Select(kv => $"{kv.Key}:{kv.Value}"));

    public void Dispose() { Train.Dispose(); Valid.Dispose(); Test.Dispose(); }
}
