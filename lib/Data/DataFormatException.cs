namespace CorrKD.Data;

/// <summary>
/// A data file or data set name that cannot be used. The message always names the file (or name), and where it
/// applies the split, the key and what was expected, so a user can fix the input without reading a stack trace.
/// </summary>
public sealed class DataFormatException : Exception
{
    public string Source_ { get; }
    public DataFormatException(string source, string message, Exception? inner = null)
        : base($"{source}: {message}", inner) => Source_ = source;
}
