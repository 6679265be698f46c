using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Data.Formats;

/// <summary>
/// Writes a data set in MMSA's pickle layout (protocol 4, numpy arrays that real numpy reconstructs), so files made
/// by the kit (synthetic data, subsets) load in MMSA's Python code and back through <see cref="DatasetFiles.Load"/>.
/// Per split: text, audio, vision (float32), text_lengths, audio_lengths, vision_lengths (int64; text_lengths is
/// the kit's addition so lengths read back exactly), regression_labels, classification_labels, annotations, id,
/// raw_text (empty strings). Sentiment: classification_labels = 0 negative, 1 neutral, 2 positive (MMSA's coding).
/// Emotion: regression_labels = classification_labels = class index, plus a top-level "class_names" list (how the
/// kit knows the task on reading back; MMSA code ignores the extra key). The file appears atomically.
/// </summary>
public static class MmsaPickleWriter
{
    public static void Write(MsaDataset ds, string path)
    {
        IO.AtomicFile.Write(path, tmp =>
        {
            using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            var w = new PickleWriter(fs);
            w.Proto(4);
            w.BeginDict();
            foreach (var s in ds.Splits)
            {
                w.Str(s.Name);
                WriteSplit(w, ds, s);
            }
            if (ds.Task == TaskKind.Emotion)
            {
                w.Str("class_names");
                w.StrList(ds.ClassNames);
            }
            w.EndDict();
            w.Stop();
        });
    }

    private static void WriteSplit(PickleWriter w, MsaDataset ds, MsaSplit s)
    {
        w.BeginDict();
        string[] keys = { "text", "audio", "vision" };
        for (int m = 0; m < 3; m++) { w.Str(keys[m]); w.FloatArray(s.Modalities[m], float64: false); }
        for (int m = 0; m < 3; m++) { w.Str(keys[m] + "_lengths"); w.Int64Array(s.Lengths[m]); }
        var cls = ds.Task == TaskKind.Emotion ? s.Labels : s.Labels.Select(y => (float)(Math.Sign(y) + 1)).ToArray();
        w.Str("regression_labels"); w.Float32Vector(s.Labels);
        w.Str("classification_labels"); w.Float32Vector(cls);
        w.Str("annotations");
        w.ObjectStrArray(ds.Task == TaskKind.Emotion
            ? s.Labels.Select(y => y >= 0 && y < ds.ClassNames.Length ? ds.ClassNames[(int)y] : $"class{y}").ToArray()
            : cls.Select(c => c switch { 0 => "Negative", 1 => "Neutral", _ => "Positive" }).ToArray());
        w.Str("id"); w.ObjectStrArray(s.Ids);
        w.Str("raw_text"); w.ObjectStrArray(s.Ids.Select(_ => "").ToArray());
        w.EndDict();
    }
}

/// <summary>
/// Minimal pickle emitter (protocol 4 opcodes, no memo, no frames: both are optional for unpicklers). numpy arrays
/// are written as numpy.core.multiarray._reconstruct + BUILD((1, shape, dtype, False, raw bytes)), which numpy
/// 1.x and 2.x both accept; array bytes are streamed from the tensor in chunks.
/// </summary>
internal sealed class PickleWriter
{
    private readonly Stream _s;
    public PickleWriter(Stream s) => _s = s;

    private void Op(byte b) => _s.WriteByte(b);
    public void Proto(int p) { Op(0x80); Op((byte)p); }
    public void Stop() => Op((byte)'.');
    public void BeginDict() { Op((byte)'}'); Op((byte)'('); }
    public void EndDict() => Op((byte)'u');
    public void Mark() => Op((byte)'(');
    public void Tuple() => Op((byte)'t');
    public void None() => Op((byte)'N');
    public void Bool(bool b) => Op(b ? (byte)0x88 : (byte)0x89);

    public void Int(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue) { Op((byte)'J'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); _s.Write(b); }
        else { Op(0x8a); Op(8); Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, v); _s.Write(b); }
    }

    public void Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        if (b.Length < 256) { Op(0x8c); Op((byte)b.Length); }
        else { Op((byte)'X'); Span<byte> n = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(n, (uint)b.Length); _s.Write(n); }
        _s.Write(b);
    }

    private void BytesHeader(long n)
    {
        if (n < 256) { Op((byte)'C'); Op((byte)n); }
        else if (n <= uint.MaxValue) { Op((byte)'B'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)n); _s.Write(b); }
        else { Op(0x8e); Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)n); _s.Write(b); }
    }

    private void Global(string module, string name) { Op((byte)'c'); _s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }

    public void StrList(IEnumerable<string> items) { Op((byte)']'); Mark(); foreach (var s in items) Str(s); Op((byte)'e'); }

    /// <summary>numpy.dtype(descr, False, True) with state (3, byteorder, None, None, None, -1, -1, flags).</summary>
    private void DType(string descr, char byteOrder, int flags)
    {
        Global("numpy", "dtype");
        Mark(); Str(descr); Bool(false); Bool(true); Tuple();
        Op((byte)'R');
        Mark(); Int(3); Str(byteOrder.ToString()); None(); None(); None(); Int(-1); Int(-1); Int(flags); Tuple();
        Op((byte)'b');
    }

    /// <summary>Starts _reconstruct(ndarray, (0,), b'b') and the state tuple up to the raw data.</summary>
    private void ArrayHead(long[] shape, string descr, char byteOrder, int flags)
    {
        Global("numpy.core.multiarray", "_reconstruct");
        Mark(); Global("numpy", "ndarray"); Mark(); Int(0); Tuple(); BytesHeader(1); Op((byte)'b'); Tuple();
        Op((byte)'R');
        Mark(); Int(1); Mark(); foreach (var d in shape) Int(d); Tuple();
        DType(descr, byteOrder, flags); Bool(false);
    }

    private void ArrayTail() { Tuple(); Op((byte)'b'); }

    /// <summary>A float tensor as a little-endian float32 (or float64) array, streamed in chunks of rows.</summary>
    public void FloatArray(Tensor x, bool float64)
    {
        int item = float64 ? 8 : 4;
        ArrayHead(x.shape, float64 ? "f8" : "f4", '<', 0);
        long count = x.numel();
        BytesHeader(count * item);
        using var flat = x.contiguous().view(-1);
        const int chunk = 1 << 20;
        var buf = new byte[chunk * item];
        for (long off = 0; off < count; off += chunk)
        {
            int n = (int)Math.Min(chunk, count - off);
            using var scope = NewDisposeScope();
            var part = flat.narrow(0, off, n);
            if (float64) MemoryMarshal.AsBytes(part.to(ScalarType.Float64).data<double>().ToArray().AsSpan()).CopyTo(buf);
            else MemoryMarshal.AsBytes(part.to(ScalarType.Float32).data<float>().ToArray().AsSpan()).CopyTo(buf);
            _s.Write(buf, 0, n * item);
        }
        ArrayTail();
    }

    /// <summary>Writes a float64 array whose chunks come from a generator (benchmark files without holding them in memory).</summary>
    public void GeneratedFloat64Array(long[] shape, Func<long, int, double[]> chunkAt)
    {
        ArrayHead(shape, "f8", '<', 0);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        BytesHeader(count * 8);
        const int chunk = 1 << 20;
        for (long off = 0; off < count; off += chunk)
        {
            int n = (int)Math.Min(chunk, count - off);
            _s.Write(MemoryMarshal.AsBytes(chunkAt(off, n).AsSpan(0, n)));
        }
        ArrayTail();
    }

    public void Float32Vector(float[] v)
    {
        ArrayHead(new long[] { v.Length }, "f4", '<', 0);
        var b = MemoryMarshal.AsBytes(v.AsSpan());
        BytesHeader(b.Length); _s.Write(b);
        ArrayTail();
    }

    public void Int64Array(long[] v)
    {
        ArrayHead(new long[] { v.Length }, "i8", '<', 0);
        var b = MemoryMarshal.AsBytes(v.AsSpan());
        BytesHeader(b.Length); _s.Write(b);
        ArrayTail();
    }

    /// <summary>An object array of str (how MMSA stores id, raw_text, annotations); numpy's object dtype flags are 63.</summary>
    public void ObjectStrArray(string[] v)
    {
        ArrayHead(new long[] { v.Length }, "O8", '|', 63);
        StrList(v);
        ArrayTail();
    }
}
