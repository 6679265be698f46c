using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

[assembly: InternalsVisibleTo("CorrKD.Kit.Tests")]

namespace CorrKD.Data.Formats;

/// <summary>The pickle layouts the kit recognises from their keys.</summary>
public enum PickleLayout
{
    /// <summary>MMSA (thuiar) aligned_50 / unaligned_50: text, audio, vision, regression_labels, *_lengths, ...</summary>
    Mmsa,
    /// <summary>MulT (Tsai et al.) mosi_data / mosei_senti_data / iemocap_data: text, audio, vision, labels, id.</summary>
    MulT,
}

/// <summary>
/// Builds an <see cref="MsaDataset"/> from a parsed MMSA or MulT pickle, validating as it goes. Every problem is a
/// <see cref="DataFormatException"/> naming the file, split, key and what was expected.
/// </summary>
internal static class PickleDatasetReader
{
    public static readonly string[] SplitNames = { "train", "valid", "test" };
    public static readonly string[] ModalityKeys = { "text", "audio", "vision" };
    /// <summary>IEMOCAP's emotion order in MulT's (N, 4, 2) labels.</summary>
    public static readonly string[] IemocapClasses = { "neutral", "happy", "sad", "angry" };
    /// <summary>Sentiment labels may overshoot [-3, 3] by float rounding (e.g. 3.0000002); such values are clamped.</summary>
    public const double SentimentTolerance = 1e-4;

    public static MsaDataset Read(string path, string name, long inlineLimit = PickleReader.InlineLimit)
    {
        object? root;
        try { root = PickleReader.Read(path, inlineLimit); }
        catch (DataFormatException) { throw; }
        catch (Exception e) when (e is IOException or OverflowException or ArgumentException or InvalidCastException or NullReferenceException or FormatException)
        {
            throw new DataFormatException(path, $"corrupted pickle: {e.Message}", e);
        }
        if (root is not Dictionary<object, object?> top)
            throw new DataFormatException(path, $"not a data set: the pickle holds {PickleReader.Describe(root)}, expected a dict with keys train, valid, test");
        if (!SplitNames.Any(top.ContainsKey))
            throw new DataFormatException(path, $"not a data set: the dict has keys [{KeyList(top)}], expected train, valid, test");
        foreach (var s in SplitNames)
            if (!top.ContainsKey(s)) throw new DataFormatException(path, $"split '{s}' is missing: expected keys train, valid, test, found [{KeyList(top)}]");
        var dicts = SplitNames.ToDictionary(s => s, s => top[s] as Dictionary<object, object?>
            ?? throw new DataFormatException(path, $"split '{s}' is {PickleReader.Describe(top[s])}, expected a dict of arrays"));
        var layout = Detect(path, dicts["train"]);

        // Task comes from the labels' layout: MulT (N, K, 2) one-hot pairs -> emotion; MMSA with the kit's class_names key -> emotion.
        string[] classNames = System.Array.Empty<string>();
        if (layout == PickleLayout.MulT && Get(path, "train", dicts["train"], "labels") is NdArray lab && lab.Shape.Length == 3 && lab.Shape[2] == 2)
            classNames = lab.Shape[1] == 4 ? IemocapClasses : Enumerable.Range(0, (int)lab.Shape[1]).Select(k => $"class{k}").ToArray();
        if (layout == PickleLayout.Mmsa && top.TryGetValue("class_names", out var cn) && cn != null)
            classNames = ToStrings(path, "-", "class_names", cn);
        var task = classNames.Length > 0 ? TaskKind.Emotion : TaskKind.Sentiment;

        var splits = new List<MsaSplit>();
        try
        {
            foreach (var s in SplitNames) splits.Add(ReadSplit(path, s, dicts[s], layout, task, classNames.Length));
            return new MsaDataset(name, path, task, classNames, splits[0], splits[1], splits[2]);
        }
        catch (ArgumentException e)
        {
            foreach (var sp in splits) sp.Dispose();
            throw new DataFormatException(path, e.Message, e);
        }
        catch
        {
            foreach (var sp in splits) sp.Dispose();
            throw;
        }
    }

    /// <summary>MMSA files carry regression_labels, MulT files carry labels.</summary>
    public static PickleLayout Detect(string path, Dictionary<object, object?> train)
    {
        if (train.ContainsKey("regression_labels")) return PickleLayout.Mmsa;
        if (train.ContainsKey("labels")) return PickleLayout.MulT;
        throw new DataFormatException(path, $"unknown data format: split 'train' has keys [{KeyList(train)}]; expected MMSA (text, audio, vision, regression_labels) or MulT (text, audio, vision, labels)");
    }

    private static string KeyList(Dictionary<object, object?> d) => string.Join(", ", d.Keys.Select(k => k.ToString()));

    private static object? Get(string path, string split, Dictionary<object, object?> d, string key) =>
        d.TryGetValue(key, out var v) ? v : throw new DataFormatException(path, $"split '{split}': key '{key}' is missing (found [{KeyList(d)}])");

    private static NdArray Array(string path, string split, Dictionary<object, object?> d, string key) =>
        Get(path, split, d, key) as NdArray ?? throw new DataFormatException(path, $"split '{split}', key '{key}': expected a numpy array, got {PickleReader.Describe(d[key])}");

    private static MsaSplit ReadSplit(string path, string split, Dictionary<object, object?> d, PickleLayout layout, TaskKind task, int k)
    {
        // Check shapes before reading any payload, so a bad file fails fast and cheaply.
        var arrays = ModalityKeys.Select(key => Array(path, split, d, key)).ToArray();
        for (int m = 0; m < 3; m++)
        {
            if (arrays[m].Shape.Length != 3)
                throw new DataFormatException(path, $"split '{split}', key '{ModalityKeys[m]}': expected rank 3 (N, T, d), got shape {arrays[m].ShapeText}");
            if (arrays[m].Shape[0] != arrays[0].Shape[0])
                throw new DataFormatException(path, $"split '{split}': N differs across modalities: text has {arrays[0].Shape[0]} samples, {ModalityKeys[m]} has {arrays[m].Shape[0]}");
        }
        long n = arrays[0].Shape[0];
        var labels = ReadLabels(path, split, d, layout, task, k, n);
        var ids = d.TryGetValue("id", out var idObj) && idObj != null
            ? ToStrings(path, split, "id", idObj)
            : Enumerable.Range(0, (int)n).Select(i => $"{split}{i}").ToArray();
        if (ids.Length != n) throw new DataFormatException(path, $"split '{split}', key 'id': {ids.Length} ids for N={n} samples");

        var tensors = new Tensor[3];
        var lengths = new long[3][];
        try
        {
            for (int m = 0; m < 3; m++)
            {
                var what = $"split '{split}', key '{ModalityKeys[m]}'";
                bool isAudio = m == (int)Modality.Audio;
                var scan = NdArrayReader.ToFloat32Tensor(arrays[m], path, what, zeroInf: isAudio);
                tensors[m] = scan.Data;
                if (scan.NaN > 0) throw new DataFormatException(path, $"{what}: {scan.NaN} NaN values; expected finite features");
                if (scan.Inf > 0 && !isAudio) throw new DataFormatException(path, $"{what}: {scan.Inf} infinite values; expected finite features (only audio's +-inf is set to 0, as MMSA does)");
                var lenKey = ModalityKeys[m] + "_lengths";
                lengths[m] = d.TryGetValue(lenKey, out var lo) && lo != null
                    ? ReadLengths(path, split, lenKey, lo, n, arrays[m].Shape[1])
                    : scan.Lengths;
            }
            return new MsaSplit(split, tensors, lengths, labels, ids);
        }
        catch
        {
            foreach (var t in tensors) t?.Dispose();
            throw;
        }
    }

    private static float[] ReadLabels(string path, string split, Dictionary<object, object?> d, PickleLayout layout, TaskKind task, int k, long n)
    {
        string key = layout == PickleLayout.Mmsa ? (task == TaskKind.Emotion ? "classification_labels" : "regression_labels") : "labels";
        var a = Array(path, split, d, key);
        if (a.Shape.Length == 0 || a.Shape[0] != n)
            throw new DataFormatException(path, $"split '{split}', key '{key}': {(a.Shape.Length == 0 ? 0 : a.Shape[0])} labels for N={n} samples of text/audio/vision");
        var v = NdArrayReader.ToDoubles(a, path, $"split '{split}', key '{key}'");
        var labels = new float[n];
        if (task == TaskKind.Emotion && layout == PickleLayout.MulT)
        {
            // (N, K, 2): per emotion a [not, is] one-hot; the class is the emotion whose [., 1] is 1.
            if (a.Shape.Length != 3 || a.Shape[1] != k || a.Shape[2] != 2)
                throw new DataFormatException(path, $"split '{split}', key 'labels': expected shape (N, {k}, 2) like 'train', got {a.ShapeText}");
            for (int i = 0; i < n; i++)
            {
                var pos = Enumerable.Range(0, k).Where(c => v[(i * k + c) * 2 + 1] == 1).ToArray();
                if (pos.Length != 1)
                    throw new DataFormatException(path, $"split '{split}', key 'labels', row {i}: {pos.Length} emotions marked positive, expected exactly one of {k}");
                labels[i] = pos[0];
            }
            return labels;
        }
        if (a.Count != n)
            throw new DataFormatException(path, $"split '{split}', key '{key}': expected one label per sample, shape (N,), (N, 1) or (N, 1, 1), got {a.ShapeText}");
        for (int i = 0; i < n; i++)
        {
            double y = v[i];
            if (double.IsNaN(y) || double.IsInfinity(y))
                throw new DataFormatException(path, $"split '{split}', key '{key}', row {i}: label is {y}");
            if (task == TaskKind.Emotion)
            {
                if (y != Math.Round(y) || y < 0 || y >= k)
                    throw new DataFormatException(path, $"split '{split}', key '{key}', row {i}: label {y} is not a class index in 0..{k - 1}");
            }
            else if (Math.Abs(y) > 3 + SentimentTolerance)
                throw new DataFormatException(path, $"split '{split}', key '{key}', row {i}: sentiment {y} is outside [-3, 3]");
            labels[i] = task == TaskKind.Emotion ? (float)y : (float)Math.Clamp(y, -3, 3);
        }
        return labels;
    }

    private static string[] ToStrings(string path, string split, string key, object o) => o switch
    {
        NdArray a => NdArrayReader.ToStrings(a, key),
        List<object?> l => l.Select(x => x switch { string s => s, byte[] b => System.Text.Encoding.UTF8.GetString(b), object?[] t => string.Join("$_$", t), _ => x?.ToString() ?? "" }).ToArray(),
        _ => throw new DataFormatException(path, $"split '{split}', key '{key}': expected an array or list of strings, got {PickleReader.Describe(o)}"),
    };

    private static long[] ReadLengths(string path, string split, string key, object o, long n, long t)
    {
        double[] v = o switch
        {
            NdArray a => NdArrayReader.ToDoubles(a, path, $"split '{split}', key '{key}'"),
            List<object?> l => l.Select(x => x is long i ? i : x is double dd ? dd : double.NaN).ToArray(),
            _ => throw new DataFormatException(path, $"split '{split}', key '{key}': expected an array or list of ints, got {PickleReader.Describe(o)}"),
        };
        if (v.Length != n) throw new DataFormatException(path, $"split '{split}', key '{key}': {v.Length} lengths for N={n} samples");
        var bad = System.Array.FindIndex(v, x => double.IsNaN(x) || x < 0 || x > t || x != Math.Round(x));
        if (bad >= 0) throw new DataFormatException(path, $"split '{split}', key '{key}', row {bad}: length {v[bad]} is not an integer in 0..{t}");
        return v.Select(x => (long)x).ToArray();
    }
}
