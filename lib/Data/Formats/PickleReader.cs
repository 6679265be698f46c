using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace CorrKD.Data.Formats;

/// <summary>A Python global (module.name) met in a pickle, before it is called.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>
/// A byte string left in the file: large array payloads are never read while parsing, only their position is kept,
/// so an array is read once, chunk by chunk, straight into its float32 tensor. Utf8Latin1 marks a protocol-2
/// payload (bytes pickled as _codecs.encode(str, 'latin1'), i.e. each byte as one UTF-8 encoded char).
/// </summary>
internal sealed record FileSlice(string Path, long Offset, long Length, bool Utf8Latin1 = false);

/// <summary>A numpy dtype: kind ('f', 'i', 'u', 'b', 'U', 'S', 'O'), item size in bytes and byte order.</summary>
internal sealed class NpDType
{
    public char Kind;
    public int ItemSize;
    public char ByteOrder = '=';
    public NpDType(string descr)
    {
        // numpy pickles dtype('f8', False, True), dtype('U7', ...), dtype('O8', ...), dtype('b1', ...)
        var s = descr.TrimStart('<', '>', '=', '|');
        if (s.Length == 0) throw new FormatException($"dtype '{descr}'");
        Kind = s[0];
        ItemSize = s.Length > 1 && int.TryParse(s.AsSpan(1), out var n) ? n : 0;
        if (Kind == 'U') ItemSize *= 4;
    }
    public override string ToString() => $"{Kind}{ItemSize}";
}

/// <summary>A numpy ndarray as found in the pickle. Data is byte[] (small, read), FileSlice (large, left in the file) or a list (object arrays).</summary>
internal sealed class NdArray
{
    public long[] Shape = Array.Empty<long>();
    public NpDType? DType;
    public bool Fortran;
    public object? Data;
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    public string ShapeText => "(" + string.Join(", ", Shape) + ")";
}

/// <summary>
/// A small streaming unpickler for the opcode subset that Python 3 (protocols 2-5, plus Python 2's binary strings)
/// uses for dicts of numpy arrays.
///
/// Why not Razorvine.Pickle alone: it materialises every byte string as one managed byte[], and a .NET array
/// stops at 2 GiB, while a MOSEI text array is ~5 GB (16326x50x768 float64). Mixing Razorvine for structure with a
/// second path for large payloads would give two parsers for one format. Instead there is ONE mechanism: this
/// reader walks the opcodes, keeps small values in memory, and records every byte string over
/// <see cref="InlineLimit"/> as a <see cref="FileSlice"/> (offset, length) without reading it. The arrays that are
/// actually used are later streamed chunk-wise into their float32 tensors (<see cref="NdArrayReader"/>), converting
/// float64 on the way, so peak memory stays near the float32 data plus one chunk; arrays nobody asks for (text_bert)
/// are never read at all. Frames (protocol 4+) are contiguous in the stream, so FRAME is skipped, not buffered.
/// numpy arrays come back as <see cref="NdArray"/> via numpy.core(._core).multiarray._reconstruct + BUILD,
/// numpy.core.numeric._frombuffer (protocol 5, in-band buffers) and numpy.dtype; numpy scalars as plain numbers.
/// </summary>
internal sealed class PickleReader : IDisposable
{
    public const int InlineLimit = 1 << 16;
    private readonly string _path;
    private readonly FileStream _fs;
    private readonly long _fileLength;
    private readonly byte[] _buf = new byte[1 << 16];
    private long _bufStart; private int _bufPos, _bufLen;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private static readonly object Mark = new();

    private readonly long _inlineLimit;

    private PickleReader(string path, long inlineLimit)
    {
        _path = path; _inlineLimit = inlineLimit;
        _fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        _fileLength = _fs.Length;
    }

    public void Dispose() => _fs.Dispose();

    /// <summary>Parses the whole pickle; large byte strings stay in the file as <see cref="FileSlice"/>.</summary>
    /// <param name="path">The pickle file.</param>
    /// <param name="inlineLimit">Byte strings up to this size are read; larger ones stay in the file (tests lower it
    /// to push tiny fixtures through the streaming path).</param>
    public static object? Read(string path, long inlineLimit = InlineLimit)
    {
        using var r = new PickleReader(path, inlineLimit);
        return r.Run();
    }

    private long Position => _bufStart + _bufPos;

    private DataFormatException Bad(string what) => new(_path, $"{what} (at byte {Position})");

    private byte ReadByte()
    {
        if (_bufPos == _bufLen) Fill();
        return _buf[_bufPos++];
    }

    private void Fill()
    {
        _bufStart += _bufLen; _bufPos = 0;
        _fs.Position = _bufStart;
        _bufLen = _fs.Read(_buf, 0, _buf.Length);
        if (_bufLen == 0) throw Bad("truncated pickle: the file ends before the STOP opcode");
    }

    private byte[] ReadBytes(long n)
    {
        if (n < 0 || Position + n > _fileLength) throw Bad($"truncated or corrupted pickle: a {n}-byte value runs past the end of the {_fileLength}-byte file");
        var res = new byte[n];
        int done = 0;
        while (done < n)
        {
            if (_bufPos == _bufLen) Fill();
            int k = Math.Min((int)n - done, _bufLen - _bufPos);
            Buffer.BlockCopy(_buf, _bufPos, res, done, k);
            _bufPos += k; done += k;
        }
        return res;
    }

    /// <summary>A byte string: small ones are read, large ones are skipped and remembered by position.</summary>
    private object ReadPayload(long n, bool utf8Latin1 = false)
    {
        if (n <= _inlineLimit) return ReadBytes(n);
        if (n < 0 || Position + n > _fileLength) throw Bad($"truncated pickle: a {n}-byte array payload runs past the end of the {_fileLength}-byte file");
        var slice = new FileSlice(_path, Position, n, utf8Latin1);
        long target = Position + n;
        _bufStart = target; _bufPos = 0; _bufLen = 0;
        return slice;
    }

    private Span<byte> Fixed(Span<byte> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = ReadByte();
        return dst;
    }

    private long U8() { Span<byte> b = stackalloc byte[8]; return checked((long)BinaryPrimitives.ReadUInt64LittleEndian(Fixed(b))); }
    private uint U4() { Span<byte> b = stackalloc byte[4]; return BinaryPrimitives.ReadUInt32LittleEndian(Fixed(b)); }
    private int I4() { Span<byte> b = stackalloc byte[4]; return BinaryPrimitives.ReadInt32LittleEndian(Fixed(b)); }

    private string Line()
    {
        var sb = new StringBuilder();
        for (byte c; (c = ReadByte()) != (byte)'\n';)
        {
            sb.Append((char)c);
            if (sb.Length > 1000) throw Bad("corrupted pickle: a GLOBAL name has no end of line");
        }
        return sb.ToString();
    }

    private object? Pop()
    {
        if (_stack.Count == 0) throw Bad("corrupted pickle: stack underflow");
        var o = _stack[^1]; _stack.RemoveAt(_stack.Count - 1); return o;
    }

    private object? Top => _stack.Count > 0 ? _stack[^1] : throw Bad("corrupted pickle: stack underflow");

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad("corrupted pickle: no MARK on the stack");
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private object? Run()
    {
        int first = _fs.Length == 0 ? -1 : ReadByte();
        if (first != 0x80) throw new DataFormatException(_path, "not a pickle of protocol 2 to 5 (it does not start with the PROTO opcode 0x80); expected a .pkl written by Python's pickle");
        int proto = ReadByte();
        if (proto is < 2 or > 5) throw Bad($"unsupported pickle protocol {proto}: expected 2 to 5");
        while (true)
        {
            long at = Position;
            byte op = ReadByte();
            switch (op)
            {
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw Bad("corrupted pickle: STOP with an unbalanced stack");
                    return _stack[0];
                case 0x80: ReadByte(); break; // PROTO (again)
                case 0x95: U8(); break; // FRAME: frame contents follow contiguously
                case (byte)'(': _marks.Push(_stack.Count); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': _stack.Add(Top); break;
                case (byte)'}': _stack.Add(new Dictionary<object, object?>()); break;
                case (byte)']': _stack.Add(new List<object?>()); break;
                case (byte)')': _stack.Add(Array.Empty<object?>()); break;
                case 0x8f: _stack.Add(new List<object?>()); break; // EMPTY_SET, kept as a list
                case (byte)'N': _stack.Add(null); break;
                case 0x88: _stack.Add(true); break;
                case 0x89: _stack.Add(false); break;
                case (byte)'J': _stack.Add((long)I4()); break;
                case (byte)'K': _stack.Add((long)ReadByte()); break;
                case (byte)'M': _stack.Add((long)(ReadByte() | (ReadByte() << 8))); break;
                case 0x8a: case 0x8b: // LONG1, LONG4
                {
                    long n = op == 0x8a ? ReadByte() : I4();
                    var bytes = ReadBytes(n);
                    var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
                    _stack.Add(big >= long.MinValue && big <= long.MaxValue ? (object)(long)big : big);
                    break;
                }
                case (byte)'G': { Span<byte> b = stackalloc byte[8]; _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Fixed(b))); break; }
                case 0x8c: _stack.Add(Utf8(ReadByte())); break;
                case (byte)'X': _stack.Add(Utf8(U4())); break;
                case 0x8d: _stack.Add(Utf8(U8())); break;
                case (byte)'C': _stack.Add(ReadPayload(ReadByte())); break;
                case (byte)'B': _stack.Add(ReadPayload(U4())); break;
                case 0x8e: case 0x96: _stack.Add(ReadPayload(U8())); break; // BINBYTES8, BYTEARRAY8
                case (byte)'U': _stack.Add(ReadPayload(ReadByte())); break; // Python 2 str: bytes
                case (byte)'T': _stack.Add(ReadPayload(I4())); break;
                case 0x97: throw Bad("pickle uses out-of-band buffers (NEXT_BUFFER), which a file cannot hold; save it without buffer_callback");
                case 0x98: break; // READONLY_BUFFER: no effect on our values
                case (byte)'c': { var mod = Line(); var name = Line(); _stack.Add(new PyGlobal(mod, name)); break; }
                case 0x93: { var name = Pop(); var mod = Pop(); _stack.Add(new PyGlobal(AsText(mod), AsText(name))); break; }
                case (byte)'R': { var args = Pop(); var f = Pop(); _stack.Add(Call(f, args as object?[] ?? throw Bad("corrupted pickle: REDUCE arguments are not a tuple"))); break; }
                case 0x81: { var args = Pop(); var cls = Pop(); _stack.Add(Call(cls, args as object?[] ?? Array.Empty<object?>())); break; }
                case (byte)'b': { var state = Pop(); Build(Top, state); break; }
                case (byte)'t': _stack.Add(PopMark().ToArray()); break;
                case 0x85: _stack.Add(new[] { Pop() }); break;
                case 0x86: { var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); _stack.Add(new[] { a, b, c }); break; }
                case (byte)'l': _stack.Add(PopMark()); break;
                case (byte)'d': { var items = PopMark(); var d = new Dictionary<object, object?>(); SetItems(d, items); _stack.Add(d); break; }
                case (byte)'a': { var v = Pop(); AsList(Top).Add(v); break; }
                case (byte)'e': case 0x90: { var items = PopMark(); AsList(Top).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Top, new List<object?> { k, v }); break; }
                case (byte)'u': { var items = PopMark(); SetItems(Top, items); break; }
                case (byte)'q': _memo[ReadByte()] = Top; break;
                case (byte)'r': _memo[U4()] = Top; break;
                case 0x94: _memo[_memo.Count] = Top; break;
                case (byte)'h': _stack.Add(Memo(ReadByte())); break;
                case (byte)'j': _stack.Add(Memo(U4())); break;
                default:
                    throw new DataFormatException(_path, $"corrupted or unsupported pickle: unknown opcode 0x{op:x2} at byte {at}");
            }
        }
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"corrupted pickle: memo entry {key} does not exist");

    private object Utf8(long n)
    {
        var p = n <= 256 ? ReadBytes(n) : ReadPayload(n); // names and keys are always read
        if (p is byte[] b) return Encoding.UTF8.GetString(b);
        return new LargeText((FileSlice)p); // only ever useful as a protocol-2 bytes payload
    }

    /// <summary>A large str left in the file; becomes a Latin-1 byte payload when passed to _codecs.encode.</summary>
    private sealed record LargeText(FileSlice Slice);

    private string AsText(object? o) => o switch
    {
        string s => s,
        byte[] b => Encoding.Latin1.GetString(b),
        _ => throw Bad($"corrupted pickle: expected a name, got {Describe(o)}"),
    };

    private List<object?> AsList(object? o) => o as List<object?> ?? throw Bad($"corrupted pickle: APPEND to {Describe(o)}");

    private void SetItems(object? target, List<object?> items)
    {
        if (target is not Dictionary<object, object?> d) throw Bad($"corrupted pickle: SETITEM on {Describe(target)}");
        if (items.Count % 2 != 0) throw Bad("corrupted pickle: odd number of dict items");
        for (int i = 0; i < items.Count; i += 2)
        {
            var k = items[i] switch { byte[] b => Encoding.Latin1.GetString(b), null => "None", var x => x };
            d[k!] = items[i + 1];
        }
    }

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        Dictionary<object, object?> => "a dict",
        List<object?> => "a list",
        object?[] t => $"a tuple of {t.Length}",
        NdArray a => $"a numpy array of shape {a.ShapeText}",
        string => "a string",
        byte[] or FileSlice => "a byte string",
        long or BigInteger => "an int",
        double => "a float",
        bool => "a bool",
        PyGlobal g => g.FullName,
        _ => o.GetType().Name,
    };

    private static bool IsNumpy(PyGlobal g, string name, params string[] modules) =>
        g.Name == name && modules.Any(m => g.Module == "numpy.core." + m || g.Module == "numpy._core." + m);

    /// <summary>The callables numpy pickles use; anything else is refused by name.</summary>
    private object? Call(object? f, object?[] args)
    {
        if (f is not PyGlobal g) throw Bad($"corrupted pickle: calling {Describe(f)}");
        if (IsNumpy(g, "_reconstruct", "multiarray")) return new NdArray();
        if ((g.Module == "numpy" && g.Name == "dtype") || IsNumpy(g, "dtype", "multiarray"))
            return new NpDType(AsText(args.Length > 0 ? args[0] : null));
        if (IsNumpy(g, "_frombuffer", "numeric"))
        {
            // _frombuffer(buffer, dtype, shape, order)
            if (args.Length < 4 || args[1] is not NpDType dt || args[2] is not object?[] shape) throw Bad("corrupted pickle: bad numpy _frombuffer arguments");
            return new NdArray { Data = args[0], DType = dt, Shape = shape.Select(ToLong).ToArray(), Fortran = args[3] is "F" };
        }
        if (IsNumpy(g, "scalar", "multiarray"))
        {
            if (args.Length < 2 || args[0] is not NpDType dt) throw Bad("corrupted pickle: bad numpy scalar arguments");
            if (dt.Kind == 'O') return args[1];
            var a = new NdArray { DType = dt, Shape = Array.Empty<long>(), Data = args[1] };
            return dt.Kind is 'U' or 'S' ? NdArrayReader.ToStrings(a, "scalar")[0] : NdArrayReader.ToDoubles(a, _path, "scalar")[0];
        }
        if (g.Module == "_codecs" && g.Name == "encode")
        {
            // protocol-2 bytes: _codecs.encode(u'...', 'latin1')
            return args.Length > 0 && args[0] is LargeText lt ? lt.Slice with { Utf8Latin1 = true }
                 : Encoding.Latin1.GetBytes(AsText(args.Length > 0 ? args[0] : null));
        }
        if (g.Module is "builtins" or "__builtin__")
        {
            if (g.Name == "bytes" || g.Name == "bytearray") return args.Length == 0 ? Array.Empty<byte>() : args[0] is List<object?> l ? l.Select(x => (byte)ToLong(x)).ToArray() : args[0];
            if (g.Name is "set" or "frozenset" or "list") return args.Length == 0 ? new List<object?>() : new List<object?>((IEnumerable<object?>)args[0]!);
        }
        if (g.Module == "collections" && g.Name == "OrderedDict") return new Dictionary<object, object?>();
        throw Bad($"unsupported object in pickle: {g.FullName} (the kit reads dicts, lists, strings, numbers and numpy arrays)");
    }

    private void Build(object? target, object? state)
    {
        switch (target)
        {
            case NdArray a when state is object?[] st && st.Length >= 5:
                // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))
                a.Shape = ((object?[])st[1]!).Select(ToLong).ToArray();
                a.DType = st[2] as NpDType ?? throw Bad("corrupted pickle: numpy array without dtype");
                a.Fortran = st[3] is true;
                a.Data = st[4];
                break;
            case NpDType dt when state is object?[] st && st.Length >= 6:
                // dtype.__setstate__((version, byteorder, subdescr, names, fields, elsize, alignment, flags))
                if (st[1] is string bo) dt.ByteOrder = bo[0];
                if (st[5] is long el && el > 0) dt.ItemSize = (int)el;
                break;
            case Dictionary<object, object?> d when state is Dictionary<object, object?> s:
                foreach (var kv in s) d[kv.Key] = kv.Value;
                break;
            default:
                throw Bad($"unsupported pickle: cannot set the state of {Describe(target)}");
        }
    }

    private long ToLong(object? o) => o switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Bad($"corrupted pickle: expected an int, got {Describe(o)}"),
    };
}
