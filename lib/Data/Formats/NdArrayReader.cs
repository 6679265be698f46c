using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Data.Formats;

/// <summary>
/// Turns an <see cref="NdArray"/> from <see cref="PickleReader"/> into a CPU float32 tensor or small managed arrays.
/// Feature arrays are streamed: a chunk of the payload (<see cref="ChunkBytes"/>) is read, converted to float32 and
/// copied into the matching slice of the preallocated float32 tensor. Peak memory: the float32 result plus two chunks.
/// </summary>
internal static class NdArrayReader
{
    public const int ChunkBytes = 8 << 20;

    /// <summary>Reads a payload front to back: in-memory bytes, a raw file slice, or a protocol-2 Latin-1-as-UTF-8 slice.</summary>
    private sealed class PayloadStream : IDisposable
    {
        private readonly byte[]? _bytes; private long _pos;
        private readonly FileStream? _fs; private readonly long _end;
        private readonly bool _utf8;
        private readonly byte[] _raw = Array.Empty<byte>(); private int _rawPos, _rawLen;

        public PayloadStream(object? data, string source, string what)
        {
            switch (data)
            {
                case byte[] b: _bytes = b; break;
                case FileSlice s:
                    _fs = new FileStream(s.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                    _fs.Position = s.Offset; _end = s.Offset + s.Length; _utf8 = s.Utf8Latin1;
                    if (_utf8) _raw = new byte[1 << 20];
                    break;
                default: throw new DataFormatException(source, $"{what}: numpy array data is {PickleReader.Describe(data)}, expected bytes");
            }
        }

        /// <summary>Fills dst as far as the payload goes; returns the bytes written.</summary>
        public int Read(Span<byte> dst)
        {
            if (_bytes != null)
            {
                int k = (int)Math.Min(dst.Length, _bytes.Length - _pos);
                _bytes.AsSpan((int)_pos, k).CopyTo(dst); _pos += k; return k;
            }
            if (!_utf8)
            {
                int done = 0;
                while (done < dst.Length && _fs!.Position < _end)
                {
                    int k = _fs.Read(dst.Slice(done, (int)Math.Min(dst.Length - done, _end - _fs.Position)));
                    if (k == 0) break;
                    done += k;
                }
                return done;
            }
            // Latin-1 text stored as UTF-8: bytes < 0x80 stand for themselves, 0xC2/0xC3 + continuation for 0x80-0xFF.
            int n = 0;
            while (n < dst.Length)
            {
                if (_rawLen - _rawPos < 2 && !Refill()) { if (_rawPos == _rawLen) break; }
                byte b = _raw[_rawPos];
                if (b < 0x80) { dst[n++] = b; _rawPos++; }
                else if ((b == 0xC2 || b == 0xC3) && _rawLen - _rawPos >= 2) { dst[n++] = (byte)(((b & 0x03) << 6) | (_raw[_rawPos + 1] & 0x3F)); _rawPos += 2; }
                else throw new IOException("protocol-2 byte payload is not Latin-1 text encoded as UTF-8");
            }
            return n;
        }

        private bool Refill()
        {
            int keep = _rawLen - _rawPos;
            Buffer.BlockCopy(_raw, _rawPos, _raw, 0, keep);
            _rawPos = 0; _rawLen = keep;
            int want = (int)Math.Min(_raw.Length - keep, _end - _fs!.Position);
            if (want <= 0) return false;
            int k = _fs.Read(_raw, keep, want);
            _rawLen += k;
            return k > 0;
        }

        public void Dispose() => _fs?.Dispose();
    }

    private static ScalarType SourceType(NdArray a, string source, string what)
    {
        var dt = a.DType!;
        if (dt.ByteOrder == '>' && dt.ItemSize > 1) throw new DataFormatException(source, $"{what}: big-endian numpy arrays are not supported; save with a little-endian dtype");
        return (dt.Kind, dt.ItemSize) switch
        {
            ('f', 8) => ScalarType.Float64,
            ('f', 4) => ScalarType.Float32,
            ('f', 2) => ScalarType.Float16,
            ('i', 8) => ScalarType.Int64,
            ('i', 4) => ScalarType.Int32,
            ('i', 2) => ScalarType.Int16,
            ('i', 1) => ScalarType.Int8,
            ('u', 1) => ScalarType.Byte,
            ('b', 1) => ScalarType.Bool,
            _ => throw new DataFormatException(source, $"{what}: numpy dtype {dt} is not numeric; expected float32 or float64"),
        };
    }

    /// <summary>A float32 tensor plus what one pass over its values found (see <see cref="ToFloat32Tensor"/>).</summary>
    public sealed record Scanned(Tensor Data, long NaN, long Inf, long[] Lengths);

    /// <summary>
    /// The array as a CPU float32 tensor of the same shape, streamed in chunks of whole frames (rows of the last axis).
    /// Each chunk is read, converted to float32 (float64 narrowed with SIMD), scanned and copied into the tensor's
    /// memory through a span over a narrow()ed view; libtorch calls are avoided in the per-chunk path because this
    /// libtorch's isinf/bool-sum ran at ~10-30 M values/s here. The scan counts NaN and +-inf (setting +-inf to 0 when
    /// <paramref name="zeroInf"/>) and, for a rank-3 (N, T, d) array, finds each sample's valid length
    /// L_i = max{ t+1 : any_d x[i,t,d] != 0 } (0 for an all-zero sample), since files are zero-padded at the end.
    /// </summary>
    public static Scanned ToFloat32Tensor(NdArray a, string source, string what, bool zeroInf = false)
    {
        var st = SourceType(a, source, what);
        int item = a.DType!.ItemSize;
        long count = a.Count;
        var shape = a.Fortran ? a.Shape.Reverse().ToArray() : a.Shape;
        int frame = (int)Math.Max(1, a.Shape.Length > 0 ? a.Shape[^1] : 1);
        long rows = count / frame, seqLen = a.Shape.Length == 3 ? a.Shape[1] : 1;
        var lengths = new long[a.Shape.Length > 0 ? a.Shape[0] : 1];
        long nan = 0, inf = 0;
        var result = torch.empty(shape, ScalarType.Float32);
        try
        {
            using var flat = result.view(-1);
            using var payload = new PayloadStream(a.Data, source, what);
            int framesPerChunk = (int)Math.Max(1, Math.Min(rows, ChunkBytes / ((long)frame * item)));
            var f32 = new float[framesPerChunk * frame];
            var raw = st == ScalarType.Float32 ? null : new byte[f32.Length * item];
            long done = 0;
            while (done < count)
            {
                int n = (int)Math.Min(f32.Length, count - done);
                var dst = MemoryMarshal.AsBytes(f32.AsSpan(0, n));
                var into = raw == null ? dst : raw.AsSpan(0, n * item);
                int got = payload.Read(into);
                if (got != into.Length)
                    throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} {a.DType} needs {count * item} bytes but its data ends after {done * item + got}; the file is truncated or corrupted");
                if (raw != null) Convert(raw.AsSpan(0, got), st, f32.AsSpan(0, n));
                if (!a.Fortran) Scan(f32.AsSpan(0, n), done / frame, frame, seqLen, zeroInf, lengths, ref nan, ref inf);
                using (var view = flat.narrow(0, done, n)) dst.CopyTo(view.bytes);
                done += n;
            }
            if (payload.Read(new byte[1]) != 0)
                throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} {a.DType} has more data bytes than its shape needs; the file is corrupted");
            if (a.Fortran)
            {
                var c = result.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray()).contiguous();
                result.Dispose();
                result = c;
                // Scan the C-ordered copy chunk-wise through spans over its memory (writes back the zeroed infs).
                using var cflat = result.view(-1);
                for (long off = 0; off < count; off += f32.Length)
                {
                    int n = (int)Math.Min(f32.Length, count - off);
                    using var view = cflat.narrow(0, off, n);
                    var span = MemoryMarshal.Cast<byte, float>(view.bytes);
                    Scan(span, off / frame, frame, seqLen, zeroInf, lengths, ref nan, ref inf);
                }
            }
            return new Scanned(result, nan, inf, lengths);
        }
        catch (IOException e)
        {
            result.Dispose();
            throw new DataFormatException(source, $"{what}: cannot read the array data: {e.Message}", e);
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Source values to float32. float64 is narrowed with SIMD; the rare other dtypes go element by element.</summary>
    private static void Convert(ReadOnlySpan<byte> raw, ScalarType st, Span<float> dst)
    {
        switch (st)
        {
            case ScalarType.Float64:
            {
                var src = MemoryMarshal.Cast<byte, double>(raw);
                var vd = MemoryMarshal.Cast<double, Vector<double>>(src);
                var vf = MemoryMarshal.Cast<float, Vector<float>>(dst);
                int pairs = Math.Min(vd.Length / 2, vf.Length);
                for (int i = 0; i < pairs; i++) vf[i] = Vector.Narrow(vd[2 * i], vd[2 * i + 1]);
                for (int i = pairs * Vector<float>.Count; i < dst.Length; i++) dst[i] = (float)src[i];
                break;
            }
            case ScalarType.Float16: { var s = MemoryMarshal.Cast<byte, Half>(raw); for (int i = 0; i < dst.Length; i++) dst[i] = (float)s[i]; break; }
            case ScalarType.Int64: { var s = MemoryMarshal.Cast<byte, long>(raw); for (int i = 0; i < dst.Length; i++) dst[i] = s[i]; break; }
            case ScalarType.Int32: { var s = MemoryMarshal.Cast<byte, int>(raw); for (int i = 0; i < dst.Length; i++) dst[i] = s[i]; break; }
            case ScalarType.Int16: { var s = MemoryMarshal.Cast<byte, short>(raw); for (int i = 0; i < dst.Length; i++) dst[i] = s[i]; break; }
            case ScalarType.Int8: { var s = MemoryMarshal.Cast<byte, sbyte>(raw); for (int i = 0; i < dst.Length; i++) dst[i] = s[i]; break; }
            default: for (int i = 0; i < dst.Length; i++) dst[i] = raw[i]; break; // uint8, bool
        }
    }

    /// <summary>One pass over whole frames: NaN and +-inf counts (+-inf zeroed on request) and last non-zero frame per sample.</summary>
    private static void Scan(Span<float> x, long firstFrame, int frame, long seqLen, bool zeroInf, long[] lengths, ref long nan, ref long inf)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var posInf = new Vector<float>(float.PositiveInfinity);
        long nanV = 0, infV = 0;
        for (int i = 0; i < vx.Length; i++)
        {
            var v = vx[i];
            var isNum = Vector.Equals(v, v);
            var isInf = Vector.Equals(Vector.Abs(v), posInf);
            nanV -= Vector.Sum(Vector.OnesComplement(isNum)); // masks are -1 where true
            infV -= Vector.Sum(isInf);
            if (zeroInf && !Vector.EqualsAll(isInf, Vector<int>.Zero)) vx[i] = Vector.ConditionalSelect(isInf, Vector<float>.Zero, v);
        }
        for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++)
        {
            if (float.IsNaN(x[i])) nanV++;
            else if (float.IsInfinity(x[i])) { infV++; if (zeroInf) x[i] = 0; }
        }
        nan += nanV; inf += infV;
        int frames = x.Length / frame;
        for (int f = 0; f < frames; f++)
        {
            long g = firstFrame + f, sample = g / seqLen, t = g % seqLen;
            if (t + 1 > lengths[sample] && AnyNonZero(x.Slice(f * frame, frame))) lengths[sample] = t + 1;
        }
    }

    private static bool AnyNonZero(ReadOnlySpan<float> s)
    {
        var vs = MemoryMarshal.Cast<float, Vector<float>>(s);
        foreach (var v in vs) if (!Vector.EqualsAll(v, Vector<float>.Zero)) return true;
        for (int i = vs.Length * Vector<float>.Count; i < s.Length; i++) if (s[i] != 0) return true;
        return false;
    }

    /// <summary>A small numeric array (labels, lengths) as doubles, flattened in C order.</summary>
    public static double[] ToDoubles(NdArray a, string source, string what)
    {
        if (a.DType is { Kind: 'O' } && a.Data is List<object?> objs)
            return objs.Select(o => o switch
            {
                double d => d, long l => l, bool b => b ? 1 : 0,
                _ => throw new DataFormatException(source, $"{what}: object array holds {PickleReader.Describe(o)}, expected numbers"),
            }).ToArray();
        if (a.Count > 100_000_000) throw new DataFormatException(source, $"{what}: {a.Count} values is too many for a label or length array");
        var st = SourceType(a, source, what);
        int item = a.DType!.ItemSize;
        var bytes = new byte[a.Count * item];
        using (var p = new PayloadStream(a.Data, source, what))
            if (p.Read(bytes) != bytes.Length)
                throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} has fewer data bytes than its shape needs; the file is truncated or corrupted");
        ReadOnlySpan<byte> r = bytes;
        double[] v = st switch
        {
            ScalarType.Float64 => MemoryMarshal.Cast<byte, double>(r).ToArray(),
            ScalarType.Float32 => Array.ConvertAll(MemoryMarshal.Cast<byte, float>(r).ToArray(), x => (double)x),
            ScalarType.Float16 => Array.ConvertAll(MemoryMarshal.Cast<byte, Half>(r).ToArray(), x => (double)x),
            ScalarType.Int64 => Array.ConvertAll(MemoryMarshal.Cast<byte, long>(r).ToArray(), x => (double)x),
            ScalarType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(r).ToArray(), x => (double)x),
            ScalarType.Int16 => Array.ConvertAll(MemoryMarshal.Cast<byte, short>(r).ToArray(), x => (double)x),
            ScalarType.Int8 => Array.ConvertAll(MemoryMarshal.Cast<byte, sbyte>(r).ToArray(), x => (double)x),
            _ => Array.ConvertAll(bytes, x => (double)x),
        };
        if (a.Fortran && a.Shape.Length > 1)
        {
            // Column-major data: element at C index (i0..ik) sits at Fortran offset sum_j i_j * prod_{l<j} n_l.
            var c = new double[v.Length];
            var idx = new long[a.Shape.Length];
            for (long k = 0; k < v.Length; k++)
            {
                long rem = k, f = 0, stride = 1;
                for (int j = a.Shape.Length - 1; j >= 0; j--) { idx[j] = rem % a.Shape[j]; rem /= a.Shape[j]; }
                for (int j = 0; j < a.Shape.Length; j++) { f += idx[j] * stride; stride *= a.Shape[j]; }
                c[k] = v[f];
            }
            return c;
        }
        return v;
    }

    /// <summary>
    /// One string per row (first axis). Elements are str, bytes (decoded as UTF-8) or numbers; a row of several
    /// elements (an (N, 2) id array, or a tuple in an object array) is joined with "$_$", MMSA's id separator.
    /// </summary>
    public static string[] ToStrings(NdArray a, string what)
    {
        var dt = a.DType!;
        string[] flat;
        if (dt.Kind == 'O')
            flat = (a.Data as List<object?> ?? new List<object?>()).Select(ElementText).ToArray();
        else if (dt.Kind is 'U' or 'S')
        {
            var bytes = a.Data as byte[] ?? ReadAll(a);
            int n = (int)a.Count, size = dt.ItemSize;
            flat = new string[n];
            for (int i = 0; i < n; i++)
            {
                var cell = bytes.AsSpan(i * size, size);
                flat[i] = dt.Kind == 'U' ? Encoding.UTF32.GetString(cell).TrimEnd('\0') : Encoding.UTF8.GetString(cell).TrimEnd('\0');
            }
        }
        else
        {
            flat = ToDoubles(a, "array", what).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        if (a.Shape.Length <= 1) return flat;
        int rows = (int)a.Shape[0], per = flat.Length / Math.Max(1, rows);
        return Enumerable.Range(0, rows).Select(r => string.Join("$_$", flat.Skip(r * per).Take(per))).ToArray();
    }

    private static byte[] ReadAll(NdArray a)
    {
        var bytes = new byte[a.Count * a.DType!.ItemSize];
        using var p = new PayloadStream(a.Data, "array", "strings");
        p.Read(bytes);
        return bytes;
    }

    private static string ElementText(object? o) => o switch
    {
        null => "",
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        object?[] t => string.Join("$_$", t.Select(ElementText)),
        List<object?> l => string.Join("$_$", l.Select(ElementText)),
        double d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => o.ToString() ?? "",
    };
}
