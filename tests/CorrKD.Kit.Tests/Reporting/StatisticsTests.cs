using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Reporting;

// Reference values from scipy 1.10 (Debian bookworm): scipy.stats.t.sf / t.ppf.
public class StatisticsTests
{
    [Theory]
    [InlineData(2.0, 4, 0.1161165235168155)]
    [InlineData(2.776445105197799, 4, 0.05)]
    [InlineData(1.0, 1, 0.5)]            // Cauchy: P(|T| >= 1) = 1/2
    [InlineData(0.0, 7, 1.0)]
    [InlineData(-3.0, 10, 0.013343655022570)]
    public void StudentT_TwoSidedP(double t, double df, double p) =>
        Assert.Equal(p, Distributions.StudentTTwoSidedP(t, df), 9);

    [Theory]
    [InlineData(0.975, 4, 2.7764451051977987)]
    [InlineData(0.975, 9, 2.2621571627409915)]
    [InlineData(0.025, 9, -2.2621571627409915)]
    public void StudentT_Quantile(double p, double df, double q) =>
        Assert.Equal(q, Distributions.StudentTQuantile(p, df), 8);

    [Fact]
    public void Normal_CdfAndQuantile()
    {
        Assert.Equal(0.975002104851780, Distributions.NormalCdf(1.96), 10);
        Assert.Equal(1.959963984540054, Distributions.NormalQuantile(0.975), 8);
    }

    [Fact]
    public void PairedTest_HandExample()
    {
        // d = a - b = 2 3 2 3: mean 2.5, sd = sqrt(4*0.25/3) = 0.57735, se = 0.288675, t = 8.660254 (df 3)
        // CI = 2.5 ± t_{.975,3}=3.182446 * 0.288675 = 2.5 ± 0.918693
        var r = PairedStatistics.Test([3, 5, 4, 6], [1, 2, 2, 3]);
        Assert.Equal(4, r.N);
        Assert.Equal(2.5, r.MeanDiff, 12);
        Assert.Equal(Math.Sqrt(1.0 / 3), r.SdDiff, 12);
        Assert.Equal(8.660254037844386, r.T, 9);
        Assert.Equal(2.5 - 0.9186931155186995, r.CiLow, 8);
        Assert.Equal(2.5 + 0.9186931155186995, r.CiHigh, 8);
        Assert.Equal(0.0032390370765444, r.PValue, 9); // scipy.stats.ttest_rel
        // sign flip: all four d > 0, so only ++++ and ---- reach |sum| = 10 -> 2/16
        Assert.Equal(0.125, r.PPermutation, 12);
    }

    [Fact]
    public void SignFlip_HandExample()
    {
        // d = 1 2 3, sum 6. The 8 signed sums: 6 0 2 -4 4 -2 0 -6; |s| >= 6 twice -> p = 2/8
        Assert.Equal(0.25, PairedStatistics.SignFlipP([1, 2, 3]), 12);
        // d = 1 -1 2: sum 2; signed sums of (±1 ±1 ±2): 4 0 2 -2 2 -2 0 -4 -> |s| >= 2 six times -> 6/8
        Assert.Equal(0.75, PairedStatistics.SignFlipP([1, -1, 2]), 12);
        Assert.Throws<ArgumentException>(() => PairedStatistics.SignFlipP(new double[17]));
        Assert.True(double.IsNaN(PairedStatistics.Test(new double[17].Select((_, i) => (double)i).ToArray(), new double[17]).PPermutation));
    }

    [Fact]
    public void PairedTest_ZeroSpread_IsDefined()
    {
        var same = PairedStatistics.Test([1, 2, 3], [1, 2, 3]);
        Assert.Equal(1.0, same.PValue);
        var shifted = PairedStatistics.Test([2, 3, 4], [1, 2, 3]);
        Assert.Equal(0.0, shifted.PValue);
        Assert.True(double.IsPositiveInfinity(shifted.T));
    }

    [Fact]
    public void Holm_KnownExample()
    {
        // sorted 0.005 0.01 0.03 0.04 times 4 3 2 1 = 0.02 0.03 0.06 0.04 -> running max 0.02 0.03 0.06 0.06
        var adj = PairedStatistics.Holm([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], adj.Select(p => Math.Round(p, 12)));
        Assert.Equal(1.0, PairedStatistics.Holm([0.6, 0.7])[0]); // capped at 1
    }

    [Theory]
    [InlineData(1.0, 1.0, 10)] // Cohen d = 1: 10 pairs (exact noncentral t: power 0.803 at n = 10)
    [InlineData(0.5, 1.0, 34)] // d = 0.5: 34 pairs
    [InlineData(1.0, 0.5, 5)]  // d = 2: 5 pairs
    public void SeedsNeeded_MatchesExactNoncentralT(double delta, double sd, int n) =>
        Assert.Equal(n, PairedStatistics.SeedsNeeded(delta, sd));

    [Fact]
    public void Compare_MatchesOnSeed_AndHolmAdjustsTheFamily()
    {
        var rows = new List<ResultRow>();
        foreach (var cond in new[] { "l", "a" })
            for (int seed = 1; seed <= 4; seed++)
            {
                rows.Add(new("MOSI", "corrkd", seed, "inter", cond, "", "f1_non0", 0.70 + 0.01 * seed + (cond == "l" ? 0.02 : 0)));
                rows.Add(new("MOSI", "no-kd", seed, "inter", cond, "", "f1_non0", 0.68 + 0.01 * seed + (seed % 2 == 0 ? 0.005 : 0)));
            }
        rows.Add(new("MOSI", "corrkd", 9, "inter", "l", "", "f1_non0", 0.1)); // no partner: ignored
        var cmp = PairedStatistics.Compare(rows, "corrkd", "no-kd", "f1_non0");
        Assert.Equal(2, cmp.Count);
        var l = cmp.Single(c => c.Condition == "l");
        Assert.Equal([1, 2, 3, 4], l.Seeds);
        // d = 0.04 0.035 0.04 0.035 -> mean 0.0375
        Assert.Equal(0.0375, l.Result.MeanDiff, 12);
        var holm = PairedStatistics.Holm(cmp.Select(c => c.Result.PValue).ToArray());
        Assert.Equal(holm, cmp.Select(c => c.PHolm));
        Assert.Equal("MOSI inter l", l.Setting);
    }

    [Fact]
    public void Aggregation_MeanAndSampleSd()
    {
        // 0.70 0.72 0.74: mean 0.72, sample sd sqrt((0.0004+0+0.0004)/2) = 0.02
        var rows = new[] { 0.70, 0.72, 0.74 }.Select((v, i) => new ResultRow("MOSI", "corrkd", i, "inter", "l", "", "f1_non0", v))
            .Append(new ResultRow("MOSI", "corrkd", 0, "inter", "a", "", "f1_non0", 0.5)).ToList();
        var agg = Aggregation.Summarize(rows);
        Assert.Equal(2, agg.Count);
        Assert.Equal(3, agg[0].N);
        Assert.Equal(0.72, agg[0].Mean, 12);
        Assert.Equal(0.02, agg[0].Std, 12);
        Assert.True(double.IsNaN(agg[1].Std)); // one seed: no spread
        var df = Aggregation.ToDataFrame(agg);
        Assert.Equal(2, df.Rows.Count);
        Assert.Equal(0.72, (double)df["mean"][0], 12);
        Assert.Equal("l", df["condition"][0]);
    }
}
