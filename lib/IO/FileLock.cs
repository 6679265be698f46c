namespace CorrKD.IO;

/// <summary>
/// An exclusive lock between processes on one path (FileShare.None, which .NET maps to flock on Unix). The
/// lock file is left in place; the lock is released when the returned stream is disposed or the process dies,
/// so a killed shard never leaves a stale lock behind.
/// </summary>
public static class FileLock
{
    /// <summary>The lock, or null when another holder has it.</summary>
    public static FileStream? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) when (File.Exists(path)) { return null; }
    }

    /// <summary>Waits until the lock is free, calling <paramref name="onWait"/> once before the first wait.</summary>
    public static FileStream Acquire(string path, Action? onWait = null, TimeSpan? poll = null)
    {
        bool told = false;
        while (true)
        {
            if (TryAcquire(path) is { } held) return held;
            if (!told) { onWait?.Invoke(); told = true; }
            Thread.Sleep(poll ?? TimeSpan.FromSeconds(5));
        }
    }
}
