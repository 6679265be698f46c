using PureHDF;

namespace CorrKD.Data.Formats;

/// <summary>One video's sequence in a .csd file: features (m, d) and the time interval [start, end) of each row.</summary>
public sealed record CsdSequence(string VideoId, float[,] Features, double[,] Intervals)
{
    public int Rows => Features.GetLength(0);
    public int Dim => Features.GetLength(1);
}

/// <summary>A CMU-MultimodalSDK computational sequence: its root name (e.g. "COVAREP"), every video's sequence and the
/// metadata (the SDK writes each entry as a string dataset of shape (1,) under &lt;root&gt;/metadata).</summary>
public sealed record CsdFile(string Path, string RootName, IReadOnlyDictionary<string, CsdSequence> Videos)
{
    /// <summary>Metadata key -> text (string datasets; entries of shape (k,) joined with "; "; other types described).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>What `data inspect FILE.csd` prints: sizes per video summarised as min / median / max.</summary>
    public CsdSummary Summary()
    {
        var v = Videos.Values.ToList();
        var dims = v.Select(s => s.Dim).Distinct().Order().ToArray();
        var spans = v.Where(s => s.Rows > 0).Select(s => s.Intervals[s.Rows - 1, 1] - s.Intervals[0, 0]).ToList();
        return new CsdSummary(RootName, v.Count, dims, Spread.Of(v.Select(s => (double)s.Rows)), Spread.Of(spans), Metadata);
    }
}

/// <summary>Minimum, median and maximum of a set of values (NaN when empty; the median of an even count averages the middle two).</summary>
public sealed record Spread(double Min, double Median, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return new(double.NaN, double.NaN, double.NaN);
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        return new(s[0], median, s[^1]);
    }
}

/// <summary>A .csd at a glance: root name, number of videos, feature dim(s), frames per video, interval span per video
/// (last interval's end minus first interval's start, in the file's time unit, usually seconds) and the metadata.</summary>
public sealed record CsdSummary(string RootName, int Videos, int[] FeatureDims, Spread FramesPerVideo, Spread SpanPerVideo,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads CMU-MultimodalSDK .csd files (HDF5: &lt;root&gt;/data/&lt;video_id&gt;/{features (m, d), intervals (m, 2)},
/// &lt;root&gt;/metadata/*) with PureHDF, gzip included. Features come back as float32 whatever the file stores.
/// </summary>
public static class CsdReader
{
    /// <summary>The 8-byte signature every HDF5 file starts with (at offset 0 unless a user block precedes it).</summary>
    public static readonly byte[] Hdf5Signature = { 0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a };

    public static bool HasHdf5Signature(string path)
    {
        using var fs = File.OpenRead(path);
        var head = new byte[8];
        return fs.Read(head, 0, 8) == 8 && head.AsSpan().SequenceEqual(Hdf5Signature);
    }

    public static CsdFile Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        if (!HasHdf5Signature(path)) throw new DataFormatException(path, "not an HDF5 file (no HDF5 signature); expected a CMU-MultimodalSDK .csd");
        try
        {
            using var file = H5File.OpenRead(path);
            var roots = file.Children().OfType<IH5Group>().ToList();
            if (roots.Count != 1)
                throw new DataFormatException(path, $"expected exactly one root group (the sequence name, e.g. COVAREP), found {roots.Count}");
            var root = roots[0];
            if (!root.LinkExists("data"))
                throw new DataFormatException(path, $"group '/{root.Name}' has no 'data' group; expected /{root.Name}/data/<video_id>/{{features, intervals}}");
            var data = root.Group("data");
            var videos = new SortedDictionary<string, CsdSequence>(StringComparer.Ordinal);
            foreach (var v in data.Children().OfType<IH5Group>())
            {
                var where = $"/{root.Name}/data/{v.Name}";
                foreach (var key in new[] { "features", "intervals" })
                    if (!v.LinkExists(key)) throw new DataFormatException(path, $"{where}: dataset '{key}' is missing");
                var f = ReadMatrix(path, v.Dataset("features"), $"{where}/features");
                var iv = ReadMatrix(path, v.Dataset("intervals"), $"{where}/intervals");
                int m = f.GetLength(0);
                if (iv.GetLength(0) != m || iv.GetLength(1) != 2)
                    throw new DataFormatException(path, $"{where}/intervals: expected shape ({m}, 2) to match features, got ({iv.GetLength(0)}, {iv.GetLength(1)})");
                var ff = new float[m, f.GetLength(1)];
                for (int i = 0; i < m; i++) for (int j = 0; j < f.GetLength(1); j++) ff[i, j] = (float)f[i, j];
                videos[v.Name] = new CsdSequence(v.Name, ff, iv);
            }
            return new CsdFile(path, root.Name, videos) { Metadata = ReadMetadata(path, root) };
        }
        catch (DataFormatException) { throw; }
        catch (Exception e)
        {
            throw new DataFormatException(path, $"cannot read the .csd (HDF5) file: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>&lt;root&gt;/metadata/*: every dataset read as strings (the SDK's vlen str, or fixed-length bytes);
    /// a missing metadata group gives an empty map. Non-string entries are described by type and shape.</summary>
    private static SortedDictionary<string, string> ReadMetadata(string path, IH5Group root)
    {
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!root.LinkExists("metadata")) return meta;
        foreach (var ds in root.Group("metadata").Children().OfType<IH5Dataset>())
        {
            var shape = ds.Space.Dimensions;
            var described = $"<{ds.Type.Class} dataset, shape ({string.Join(", ", shape)})>";
            if (ds.Type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength)) { meta[ds.Name] = described; continue; }
            try { meta[ds.Name] = string.Join("; ", shape.Length == 0 ? new[] { ds.Read<string>() } : ds.Read<string[]>()); }
            catch (Exception) when (ds.Type.Class == H5DataTypeClass.VariableLength) { meta[ds.Name] = described; }   // a vlen sequence of numbers
        }
        return meta;
    }

    private static double[,] ReadMatrix(string path, IH5Dataset ds, string where)
    {
        var dims = ds.Space.Dimensions;
        if (dims.Length != 2) throw new DataFormatException(path, $"{where}: expected rank 2, got shape ({string.Join(", ", dims)})");
        int rows = (int)dims[0], cols = (int)dims[1];
        double[] flat = ds.Type.Size switch
        {
            4 => ds.Read<float[]>().Select(x => (double)x).ToArray(),
            8 => ds.Read<double[]>(),
            _ => throw new DataFormatException(path, $"{where}: element size {ds.Type.Size} bytes; expected float32 or float64"),
        };
        var res = new double[rows, cols];
        Buffer.BlockCopy(flat, 0, res, 0, flat.Length * sizeof(double));
        return res;
    }
}
