using System.Globalization;

namespace CorrKD.Reporting;

/// <summary>
/// The one way numbers are printed in reports, tables and logs. The sign is decided by the printed digits, not by
/// the double: a value that rounds to zero at the chosen precision (0, -0.0, -0.004 at 2 decimals) prints as
/// "0.00", never "-0.00", "+0.00" or "-+0.00". Invariant culture, ASCII '-' for negatives, "-" for NaN (no value),
/// "+∞"/"-∞" for infinities.
/// </summary>
public static class NumberText
{
    /// <summary>A difference with an explicit sign: "+1.25", "-0.50", "0.00".</summary>
    public static string Signed(double v, int decimals = 2) => Format(v, decimals, "+");

    /// <summary>A number without a plus sign: "1.25", "-0.50", "0.00" (also for -0.0 and tiny negatives).</summary>
    public static string Plain(double v, int decimals = 2) => Format(v, decimals, "");

    private static string Format(double v, int decimals, string plus)
    {
        if (decimals < 0) throw new ArgumentOutOfRangeException(nameof(decimals), decimals, "decimals must be >= 0");
        if (double.IsNaN(v)) return "-";
        if (double.IsInfinity(v)) return (v > 0 ? plus : "-") + "∞";
        var digits = Math.Abs(v).ToString("F" + decimals, CultureInfo.InvariantCulture);
        bool zero = digits.All(c => c is '0' or '.');
        return zero ? digits : (v > 0 ? plus : "-") + digits;
    }
}
