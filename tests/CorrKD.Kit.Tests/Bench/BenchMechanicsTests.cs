using CorrKD.Bench;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Bench;

/// <summary>The bench's arithmetic and plumbing. No timed assertions: speed is reported by `kit bench`, never tested.</summary>
public class BenchMechanicsTests
{
    [Fact]
    public void Median_of_odd_count_is_the_middle_value_whatever_the_order()
        => Assert.Equal(3.0, BenchStats.Median(new[] { 9.0, 1.0, 3.0 }));

    [Fact]
    public void Median_of_even_count_is_the_mean_of_the_two_middle_values()
        // sorted 1, 2, 4, 10: (2 + 4) / 2 = 3
        => Assert.Equal(3.0, BenchStats.Median(new[] { 10.0, 2.0, 1.0, 4.0 }));

    [Fact]
    public void Median_of_nothing_is_an_error()
        => Assert.Throws<ArgumentException>(() => BenchStats.Median(Array.Empty<double>()));

    [Fact]
    public void Ratio_is_a_over_b_and_NaN_without_a_baseline()
    {
        Assert.Equal(0.75, BenchStats.Ratio(30, 40));
        Assert.True(double.IsNaN(BenchStats.Ratio(30, double.NaN)));
        Assert.True(double.IsNaN(BenchStats.Ratio(30, 0)));
        Assert.Equal("n/a", BenchStats.F2(double.NaN));
        Assert.Equal("0.75", BenchStats.F2(0.75));
    }

    [Theory]
    [InlineData(10.0, 3.0, 4)]     // ceil(10 / 3) = 4 steps make a repeat of about 10 s
    [InlineData(10.0, 20.0, 1)]    // a step longer than the target still runs once
    [InlineData(10.0, 0.001, 200)] // capped
    public void Steps_per_repeat_fill_the_target_time(double target, double step, int expected)
        => Assert.Equal(expected, BenchStats.StepsFor(target, step));

    [Fact]
    public void The_PyTorch_baseline_is_refused_on_an_unoptimised_BLAS_only()
    {
        var why = PyTorchStepProcess.BlasProblem(1.8, "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "/usr/bin/python3");
        Assert.Contains("1.8 GFLOP/s", why);
        Assert.Contains("blas/libblas.so.3.11.0", why);
        Assert.Contains("libopenblas0-pthread", why);
        Assert.Null(PyTorchStepProcess.BlasProblem(55, "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so", "/usr/bin/python3"));
    }

    [Fact]
    public void A_missing_interpreter_is_named_with_the_install_hint()
    {
        var why = PyTorchStepProcess.Unavailable("/nonexistent/python3", "bench/pytorch_step.py");
        Assert.Contains("/nonexistent/python3 not found", why);
        Assert.Contains("libopenblas0-pthread", why);
    }

    [Fact]
    public void Resident_memory_is_read_from_proc_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        double rss = BenchStats.RssMb(), peak = BenchStats.PeakRssMb();
        Assert.InRange(rss, 1, 1e6);
        Assert.True(peak >= rss - 1, $"peak {peak} MB below current {rss} MB");
    }

    [Fact]
    public void Shapes_take_batch_heads_and_classes_from_the_dataset_configs()
    {
        var mosi = StepShape.Named("mosi");
        Assert.Equal((128, 50, 10, 2), (mosi.Batch, mosi.SeqLen, mosi.Heads, mosi.Classes));
        Assert.Equal(new[] { 300, 5, 20 }, mosi.Dims);
        var mosei = StepShape.Named("mosei");
        Assert.Equal((16, 8), (mosei.Batch, mosei.Heads));
        Assert.Equal(new[] { 768, 74, 35 }, mosei.Dims);
        var iemocap = StepShape.Named("iemocap");
        Assert.Equal((32, 20, 10, 4), (iemocap.Batch, iemocap.SeqLen, iemocap.Heads, iemocap.Classes));
        Assert.Throws<ArgumentException>(() => StepShape.Named("mosx"));
    }

    [Fact]
    public void TorchSharp_half_runs_a_tiny_step_and_trains_the_student()
    {
        // Tiny shape (batch 4, T 3) so the step takes milliseconds; K = 4 exercises RCD's non-target network too.
        var shape = new StepShape("tiny", "iemocap", 4, 3, new[] { 6, 2, 3 }, 4);
        using var step = new TorchSharpStudentStep(shape);
        double first = step.Step();
        Assert.True(double.IsFinite(first));
        Assert.True(step.Time(2) > 0);
        // Backbone and objective counted separately; the RCD networks: target Linear(4,32)+Linear(32,1) = 193,
        // non-target Linear(6,32)+Linear(32,1) = 257.
        Assert.Equal(193 + 257, step.ObjectiveParameters);
        Assert.True(step.BackboneParameters > 0);
    }

    [Fact]
    public void Random_split_has_the_requested_shapes_and_full_lengths()
    {
        using var split = TrainingThroughputBench.RandomSplit("test", 5, 7, new[] { 3, 2, 1 }, seed: 0);
        Assert.Equal(5, split.Count);
        Assert.Equal(new long[] { 5, 7, 2 }, split.Modalities[1].shape);
        Assert.All(split.Lengths, l => Assert.All(l, v => Assert.Equal(7, v)));
        Assert.All(split.Labels, y => Assert.InRange(y, -3f, 3f));
    }
}

public class BenchRatioTests
{
    [Fact]
    public void Paired_ratio_cancels_load_swings_that_median_over_median_does_not()
    {
        // The machine slows 5x between the 2nd and 3rd pair; each pair still shows TorchSharp at 0.8 of PyTorch.
        var row = new ThroughputRow("mosi", 2, 128, 1, new[] { 8.0, 8.0, 40.0, 40.0, 40.0 }, new[] { 10.0, 10.0, 50.0, 50.0, 50.0 });
        Assert.Equal(new[] { 0.8, 0.8, 0.8, 0.8, 0.8 }, row.PairedRatios);
        Assert.Equal(0.8, row.Ratio, 12);
        // Median/median: 40 / 50 here too, but with three slow TorchSharp repeats against three fast PyTorch ones it
        // would not be; the paired ratio stays 0.8 whatever the swings.
        var skewed = new ThroughputRow("mosi", 2, 128, 1, new[] { 8.0, 8.0, 8.0, 40.0, 40.0 }, new[] { 10.0, 10.0, 50.0, 50.0, 50.0 });
        Assert.Equal(0.16, skewed.MedianRatio, 12);   // 8 / 50
        Assert.Equal(0.8, skewed.Ratio, 12);          // pairs: 0.8, 0.8, 0.16, 0.8, 0.8
    }

    [Fact]
    public void Without_a_baseline_the_ratio_is_NaN()
        => Assert.True(double.IsNaN(new ThroughputRow("mosi", 2, 128, 1, new[] { 8.0, 9.0, 10.0 }, Array.Empty<double>()).Ratio));

    [Fact]
    public void Paired_ratios_need_equal_counts()
        => Assert.Throws<ArgumentException>(() => BenchStats.PairedRatios(new[] { 1.0 }, new[] { 1.0, 2.0 }));
}
