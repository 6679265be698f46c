using System.Diagnostics;
using CorrKD.Data;
using CorrKD.Data.Missing;
using CorrKD.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Bench;

/// <summary>Samples/s of every timed repeat of one (shape, threads) cell, TorchSharp and PyTorch side by side.</summary>
public sealed record ThroughputRow(string Shape, int Threads, int Batch, int StepsPerRepeat, double[] TorchSharp, double[] PyTorch)
{
    public double TorchSharpMedian => BenchStats.Median(TorchSharp);
    public double PyTorchMedian => PyTorch.Length > 0 ? BenchStats.Median(PyTorch) : double.NaN;
    /// <summary>median TorchSharp samples/s over median PyTorch samples/s (NaN without a baseline).</summary>
    public double MedianRatio => BenchStats.Ratio(TorchSharpMedian, PyTorchMedian);
    /// <summary>TorchSharp over PyTorch for each repeat pair run back to back.</summary>
    public double[] PairedRatios => BenchStats.PairedRatios(TorchSharp, PyTorch);
    /// <summary>
    /// The headline ratio: median of the paired ratios. Back-to-back runs see the same machine load, so on a
    /// shared machine whose load swings several-fold within a minute this is far steadier than median/median.
    /// </summary>
    public double Ratio => PyTorch.Length > 0 ? BenchStats.Median(PairedRatios) : double.NaN;
}

/// <summary>Per-batch costs around the step, in milliseconds (median of several calls); NaN when not measurable.</summary>
public sealed record BatchCosts(string Shape, double TeacherForwardMs, double GatherMs, double MissingSamplerMs, string? Note);

/// <summary>Settings of bench (a).</summary>
public sealed record TrainingBenchOptions
{
    public IReadOnlyList<StepShape> Shapes { get; init; } = StepShape.All;
    /// <summary>Thread counts, each run on both sides (torch.set_num_threads in both processes).</summary>
    public IReadOnlyList<int> Threads { get; init; } = new[] { Environment.ProcessorCount };
    /// <summary>Timed repeats per side after the warm-up (at least 3 for a median that means something).</summary>
    public int Repeats { get; init; } = 3;
    /// <summary>Untimed steps per side before timing (allocator, MKL/oneDNN kernel choice, Adam state).</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Target length of one timed repeat; steps per repeat come from one calibration step.</summary>
    public double SecondsPerRepeat { get; init; } = 10;
    /// <summary>bench/pytorch_step.py; null = find it upwards from the working directory.</summary>
    public string? Script { get; init; }
    public string Python { get; init; } = PyTorchStepProcess.DefaultPython;
    /// <summary>Leave the PyTorch child at torch's default thread count instead of calling set_num_threads.</summary>
    public bool PyTorchDefaultThreads { get; init; }
}

/// <summary>
/// Bench (a): student training-step throughput, TorchSharp against the same model and step in PyTorch,
/// alternating repeats (order swapped every repeat so drift on a shared machine hits both sides alike).
/// </summary>
public static class TrainingThroughputBench
{
    public static List<ThroughputRow> Run(TrainingBenchOptions o, TextWriter log, out string? baselineMissing)
    {
        var script = o.Script ?? PyTorchStepProcess.FindScript();
        baselineMissing = script == null ? "bench/pytorch_step.py not found (run from the repository or pass --pytorch-script)"
            : PyTorchStepProcess.Unavailable(o.Python, script);
        if (baselineMissing != null) log.WriteLine($"PyTorch baseline unavailable: {baselineMissing}");
        var rows = new List<ThroughputRow>();
        int savedThreads = get_num_threads();
        try
        {
            foreach (var threads in o.Threads)
                foreach (var shape in o.Shapes)
                {
                    set_num_threads(threads);
                    using var ts = new TorchSharpStudentStep(shape);
                    // Calibrate on the fastest warm-up step: on a shared machine one slow step would shrink every repeat to 1 step.
                    double fastest = Enumerable.Range(0, o.Warmup + 1).Select(_ => ts.Time(1)).Min();
                    int steps = BenchStats.StepsFor(o.SecondsPerRepeat, fastest);
                    using var py = baselineMissing == null
                        ? new PyTorchStepProcess(shape, o.PyTorchDefaultThreads ? 0 : threads, o.Warmup, script!, o.Python) : null;
                    if (py != null)
                    {
                        log.WriteLine($"  parameters {shape.Name}: TorchSharp backbone {ts.BackboneParameters} + objective {ts.ObjectiveParameters}, " +
                                      $"PyTorch backbone {py.BackboneParameters} + objective {py.ObjectiveParameters} (torch {py.TorchVersion}, {py.Threads} threads, BLAS {py.Blas.Split(';')[0]})");
                        if (py.BackboneParameters != ts.BackboneParameters || py.ObjectiveParameters != ts.ObjectiveParameters)
                            throw new InvalidOperationException($"bench: parameter counts differ for {shape.Name}, so the PyTorch model is not the kit's model; fix bench/pytorch_step.py");
                    }
                    var tsRate = new List<double>(); var pyRate = new List<double>();
                    for (int r = 0; r < o.Repeats; r++)
                    {
                        double Rate(double seconds) => steps * shape.Batch / seconds;
                        if (r % 2 == 0 || py == null) { tsRate.Add(Rate(ts.Time(steps))); if (py != null) pyRate.Add(Rate(py.Time(steps))); }
                        else { pyRate.Add(Rate(py.Time(steps))); tsRate.Add(Rate(ts.Time(steps))); }
                    }
                    var row = new ThroughputRow(shape.Name, threads, shape.Batch, steps, tsRate.ToArray(), pyRate.ToArray());
                    log.WriteLine($"  {shape.Name,-10} {threads} thr  {steps} steps/repeat  TorchSharp {string.Join(" ", tsRate.Select(BenchStats.F2))}" +
                                  (py != null ? $"  PyTorch {string.Join(" ", pyRate.Select(BenchStats.F2))}  paired ratios {string.Join(" ", row.PairedRatios.Select(BenchStats.F2))}" : ""));
                    rows.Add(row);
                }
        }
        finally { set_num_threads(savedThreads); }
        return rows;
    }

    /// <summary>
    /// What a real training batch costs around the step: the frozen teacher's forward (which the kit caches),
    /// Predictor.Gather of one batch from a train-split-sized tensor (index_select), and the MRM sampler.
    /// </summary>
    public static BatchCosts MeasureBatchCosts(StepShape shape, int trainCount, int calls = 10)
    {
        using var ts = new TorchSharpStudentStep(shape);
        ts.TimeTeacherForward();
        double teacher = 1000 * BenchStats.Median(Enumerable.Range(0, Math.Max(3, calls / 3)).Select(_ => ts.TimeTeacherForward()));

        using var split = RandomSplit("train", trainCount, shape.SeqLen, shape.Dims, seed: 1);
        using var gen = new Generator(7, CPU);
        var rows = Enumerable.Range(0, calls + 1).Select(c =>
        {
            using var perm = randperm(trainCount, generator: gen);
            return perm.data<long>().Take(shape.Batch).ToArray();
        }).ToArray();
        double gather = 1000 * BenchStats.Median(rows.Select(idx => Timed(() => { using var s = NewDisposeScope(); Predictor.Gather(split, idx, CPU); })));

        double sampler = double.NaN; string? note = null;
        try
        {
            var mrm = new RandomMissingSampler(new RandomMissingOptions());
            sampler = 1000 * BenchStats.Median(rows.Select(idx =>
            {
                using var s = NewDisposeScope();
                var x = Predictor.Gather(split, idx, CPU);
                return Timed(() => mrm.Apply(x, gen));
            }));
        }
        catch (NotImplementedException) { note = "MRM sampler not merged yet"; }
        return new BatchCosts(shape.Name, teacher, gather, sampler, note);
    }

    /// <summary>A split of random float32 inputs (all frames valid) and random sentiment labels.</summary>
    public static MsaSplit RandomSplit(string name, int count, int seqLen, int[] dims, int seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, CPU);
        var mods = dims.Select(d => randn(new long[] { count, seqLen, d }, generator: gen).DetachFromDisposeScope()).ToArray();
        var lengths = dims.Select(_ => Enumerable.Repeat((long)seqLen, count).ToArray()).ToArray();
        var labels = (rand(new long[] { count }, generator: gen) * 6 - 3).data<float>().ToArray();
        return new MsaSplit(name, mods, lengths, labels, Enumerable.Range(0, count).Select(i => $"{name}_{i}").ToArray());
    }

    private static double Timed(Action a) { var c = Stopwatch.StartNew(); a(); return c.Elapsed.TotalSeconds; }
}
