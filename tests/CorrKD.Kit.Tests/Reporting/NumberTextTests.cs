using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Reporting;

/// <summary>The sign of a printed number follows its printed digits: nothing that reads as zero carries a sign.</summary>
public sealed class NumberTextTests
{
    [Theory]
    [InlineData(0.0, "0.00")]
    [InlineData(-0.004, "0.00")]        // rounds to zero: no "-0.00"
    [InlineData(0.004, "0.00")]         // and no "+0.00" either
    [InlineData(0.005, "+0.01")]
    [InlineData(-0.006, "-0.01")]
    [InlineData(1.234, "+1.23")]
    [InlineData(-2.5, "-2.50")]
    [InlineData(double.NaN, "-")]
    [InlineData(double.PositiveInfinity, "+∞")]
    [InlineData(double.NegativeInfinity, "-∞")]
    public void Signed_prints_a_sign_only_on_nonzero_digits(double v, string expected) =>
        Assert.Equal(expected, NumberText.Signed(v));

    [Fact]
    public void NegativeZero_has_no_sign()
    {
        // The old "+0.00;-0.00" format printed -0.0 (e.g. 100 * (x - x) after a negative product) as "-+0.00".
        Assert.Equal("0.00", NumberText.Signed(-0.0));
        Assert.Equal("0.00", NumberText.Plain(-0.0));
    }

    [Theory]
    [InlineData(-0.004, 2, "0.00")]
    [InlineData(-0.4, 0, "0")]
    [InlineData(-1.5, 1, "-1.5")]
    [InlineData(3.14159, 3, "3.142")]
    [InlineData(double.NaN, 2, "-")]
    public void Plain_never_prints_a_negative_zero(double v, int decimals, string expected) =>
        Assert.Equal(expected, NumberText.Plain(v, decimals));

    [Fact]
    public void Signed_with_zero_decimals_is_an_integer_difference()
    {
        Assert.Equal("+3", NumberText.Signed(3.2, 0));
        Assert.Equal("0", NumberText.Signed(-0.3, 0));
        Assert.Equal("-4", NumberText.Signed(-3.7, 0));
    }

    [Fact]
    public void The_teacher_gap_line_has_no_signed_zero()
    {
        // Teacher and no-kd equal on seed 0 (gap exactly 0 after the subtraction of equal values, times 100 of a
        // negative zero), slightly below on seed 1.
        var rows = new List<ResultRow>
        {
            new("MOSI", "teacher", 0, "inter", "lav", "", "f1_non0", 0.8),
            new("MOSI", "no-kd", 0, "inter", "lav", "", "f1_non0", 0.8),
            new("MOSI", "teacher", 1, "inter", "lav", "", "f1_non0", 0.79999),
            new("MOSI", "no-kd", 1, "inter", "lav", "", "f1_non0", 0.8),
        };
        var line = CorrKD.Experiments.Report.TeacherGap(rows, "f1_non0", "MOSI");
        Assert.Contains("s0 0.00, s1 0.00; mean 0.00", line);
        Assert.DoesNotContain("-0.00", line);
        Assert.DoesNotContain("+0.00", line);
    }
}
