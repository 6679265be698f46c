namespace CorrKD.IO;

/// <summary>Writes files so that readers only ever see the old or the complete new content (temp file + rename).</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>Calls <paramref name="write"/> with a temporary path in the same folder, then renames it over <paramref name="path"/>.</summary>
    /// <param name="path">Final file.</param>
    /// <param name="write">Writes the content to the temporary path it is given.</param>
    /// <param name="extension">Suffix for the temporary file, for writers that insist on one (e.g. ".html").</param>
    public static void Write(string path, Action<string> write, string extension = "")
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
        try
        {
            write(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
