using System.Globalization;

namespace CorrKD.Bench;

/// <summary>Small helpers the benchmark figures are built from: medians, ratios, resident memory.</summary>
public static class BenchStats
{
    /// <summary>Median of the values (mean of the two middle ones for an even count); ArgumentException when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("median of an empty list");
        int mid = v.Length / 2;
        return v.Length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /// <summary>a / b, or NaN when b is not a positive finite number (a missing baseline).</summary>
    public static double Ratio(double a, double b) => b > 0 && double.IsFinite(b) ? a / b : double.NaN;

    /// <summary>a[i] / b[i] for each pair (repeats run back to back); ArgumentException when the lengths differ.</summary>
    public static double[] PairedRatios(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired ratios need equal counts, got {a.Count} and {b.Count}");
        return a.Zip(b, Ratio).ToArray();
    }

    /// <summary>Steps per timed repeat so that one repeat lasts about <paramref name="targetSeconds"/>, given one step's time.</summary>
    public static int StepsFor(double targetSeconds, double stepSeconds, int min = 1, int max = 200)
        => stepSeconds <= 0 ? max : Math.Clamp((int)Math.Ceiling(targetSeconds / stepSeconds), min, max);

    /// <summary>Invariant "0.00" formatting, "n/a" for NaN.</summary>
    public static string F2(double x) => double.IsNaN(x) ? "n/a" : x.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Current resident set size of this process in MB (Linux /proc; NaN elsewhere).</summary>
    public static double RssMb() => ProcStatusMb("VmRSS:");

    /// <summary>Peak resident set size (high-water mark) of this process in MB since start or the last <see cref="ResetPeakRss"/>.</summary>
    public static double PeakRssMb() => ProcStatusMb("VmHWM:");

    /// <summary>Resets the kernel's peak-RSS counter (writes 5 to /proc/self/clear_refs); false where unsupported.</summary>
    public static bool ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DirectoryNotFoundException or FileNotFoundException) { return false; }
    }

    private static double ProcStatusMb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DirectoryNotFoundException or FileNotFoundException) { }
        return double.NaN;
    }
}
