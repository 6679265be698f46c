using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Data.Formats;

/// <summary>
/// Turns an <see cref="NdArray"/> from <see cref="PickleReader"/> into a CPU float32 tensor or small managed arrays.
/// Feature arrays are streamed: a chunk of the payload (<see cref="ChunkBytes"/>) is read into a buffer typed like
/// the source, wrapped as a tensor and copied into the matching slice of the preallocated float32 tensor; libtorch's
/// copy_ does the float64 -> float32 conversion. Peak memory: the float32 result plus two chunks.
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

    /// <summary>The array as a CPU float32 tensor of the same shape, read chunk by chunk (see the class comment).</summary>
    public static Tensor ToFloat32Tensor(NdArray a, string source, string what)
    {
        var st = SourceType(a, source, what);
        int item = a.DType!.ItemSize;
        long count = a.Count;
        var shape = a.Fortran ? a.Shape.Reverse().ToArray() : a.Shape;
        var result = torch.empty(shape, ScalarType.Float32);
        try
        {
            using var flat = result.view(-1);
            using var payload = new PayloadStream(a.Data, source, what);
            var buf = new byte[Math.Max(item, ChunkBytes / item * item)];
            long done = 0;
            while (done < count)
            {
                int want = (int)Math.Min(buf.Length, (count - done) * item);
                int got = payload.Read(buf.AsSpan(0, want));
                if (got != want)
                    throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} {a.DType} needs {count * item} bytes but its data ends after {done * item + got}; the file is truncated or corrupted");
                long n = got / item;
                using var scope = NewDisposeScope();
                using var src = SourceChunk(buf, got, st);
                flat.narrow(0, done, n).copy_(src);
                done += n;
            }
            if (payload.Read(new byte[1]) != 0)
                throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} {a.DType} has more data bytes than its shape needs; the file is corrupted");
            if (a.Fortran)
            {
                var c = result.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray()).contiguous();
                result.Dispose();
                return c;
            }
            return result;
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

    /// <summary>A tensor holding one chunk of source values (copied from the byte buffer, typed as in the file).</summary>
    private static Tensor SourceChunk(byte[] buf, int bytes, ScalarType st)
    {
        var span = buf.AsSpan(0, bytes);
        return st switch
        {
            ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(span).ToArray()),
            ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(span).ToArray()),
            ScalarType.Float16 => torch.tensor(MemoryMarshal.Cast<byte, Half>(span).ToArray().Select(h => (float)h).ToArray()),
            ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(span).ToArray()),
            ScalarType.Int32 => torch.tensor(MemoryMarshal.Cast<byte, int>(span).ToArray()),
            ScalarType.Int16 => torch.tensor(MemoryMarshal.Cast<byte, short>(span).ToArray()),
            ScalarType.Int8 => torch.tensor(MemoryMarshal.Cast<byte, sbyte>(span).ToArray()),
            ScalarType.Byte => torch.tensor(span.ToArray()),
            _ => torch.tensor(span.ToArray().Select(b => b != 0).ToArray()),
        };
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
        using var scope = NewDisposeScope();
        using var t = ToFloat64(a, source, what);
        return t.data<double>().ToArray();
    }

    private static Tensor ToFloat64(NdArray a, string source, string what)
    {
        var st = SourceType(a, source, what);
        int item = a.DType!.ItemSize;
        var bytes = new byte[a.Count * item];
        using (var p = new PayloadStream(a.Data, source, what))
            if (p.Read(bytes) != bytes.Length)
                throw new DataFormatException(source, $"{what}: numpy array of shape {a.ShapeText} has fewer data bytes than its shape needs; the file is truncated or corrupted");
        using var src = SourceChunk(bytes, bytes.Length, st);
        var t = src.to(ScalarType.Float64);
        if (a.Fortran && a.Shape.Length > 1)
        {
            var rev = a.Shape.Reverse().ToArray();
            return t.view(rev).permute(Enumerable.Range(0, rev.Length).Reverse().Select(i => (long)i).ToArray()).contiguous().view(-1);
        }
        return t;
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
