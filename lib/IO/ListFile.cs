namespace CorrKD.IO;

/// <summary>
/// A small hand-edited list file: one entry per line, anything after '#' a comment, blank lines ignored. The format of
/// a reference's CPU-CLASS file and of a study's POOLED-WITH file.
/// </summary>
public static class ListFile
{
    /// <summary>The entries of <paramref name="path"/>, trimmed, in order, each once.</summary>
    public static IReadOnlyList<string> Read(string path) =>
        File.ReadLines(path).Select(l => l.Split('#', 2)[0].Trim()).Where(l => l.Length > 0).Distinct().ToList();
}
