using CorrKD.Bench;

namespace CorrKD.Cli;

/// <summary>
/// `bench`: figures, not a test. (a) student training-step throughput, TorchSharp vs PyTorch; (b) the full
/// evaluation sweep; (c) MOSEI-size load throughput and peak memory, and
/// generation time of the default synthetic data set; (d) RSS across a 20-epoch student run; (e) numerics of libtorch's
/// conv1d and fused attention against float64 (NumericsBench), in process or side by side in child processes.
/// </summary>
public static class BenchCommand
{
    public const string Usage = "bench [--quick] [--only a,b,c,d] [--threads N[,M]] [--repeats N] [--shapes mosi,mosi-mmsa,mosei,iemocap] [--seconds S] [--load-scale F] [--pytorch-script FILE] [--python EXE] [--pytorch-threads same|default] [--attention kernel|ops]\n  bench --only e [--trials N] [--numerics-seed S] [--cases NAME,...] [--numerics in-process|children|speed|train] [--threads N]";

    public static int Run(CliArgs a)
    {
        bool quick = a.Flag("quick");
        var only = (a.List("only") ?? (quick ? new[] { "a" } : new[] { "a", "b", "c", "d" })).Select(s => s.ToLowerInvariant()).ToHashSet();
        if (only.FirstOrDefault(s => s is not ("a" or "b" or "c" or "d" or "e")) is { } bad) throw new CliException($"--only takes a,b,c,d,e; got '{bad}'");
        bool threadsGiven = a.Str("threads") != null;
        var threads = (a.List("threads") ?? new[] { $"{Environment.ProcessorCount}" }).Select(t =>
            int.TryParse(t, out var n) && n > 0 ? n : throw new CliException($"--threads expects positive integers, got '{t}'")).ToArray();
        int repeats = a.Int("repeats") ?? 3;
        if (repeats < 1) throw new CliException($"--repeats must be >= 1, got {repeats}");
        var attention = a.Str("attention");
        if (attention is not (null or "kernel" or "ops")) throw new CliException($"--attention takes kernel or ops (the model's attention; default: the config's), got '{attention}'");
        var shapes = (a.List("shapes") ?? (quick ? new[] { "mosi" } : StepShape.All.Select(s => s.Name).ToArray()))
            .Select(n => StepShape.Named(n) with { Attention = attention }).ToList();
        double seconds = a.Double("seconds") ?? (quick ? 4 : 10);
        double loadScale = a.Double("load-scale") ?? 1.0;
        if (!(loadScale > 0 && loadScale <= 1)) throw new CliException($"--load-scale must be in (0, 1], got {loadScale}");
        var script = a.Str("pytorch-script");
        var python = a.Str("python", Bench.PyTorchStepProcess.DefaultPython);
        var pyThreads = a.Str("pytorch-threads", "same");
        if (pyThreads is not ("same" or "default")) throw new CliException($"--pytorch-threads must be 'same' (set_num_threads like TorchSharp) or 'default' (torch's own default), got '{pyThreads}'");
        int trials = a.Int("trials") ?? 40;
        if (trials < 1) throw new CliException($"--trials must be >= 1, got {trials}");
        int numSeed = a.Int("numerics-seed") ?? 0;
        var caseFilters = a.List("cases");
        var numMode = a.Str("numerics", "in-process");
        if (numMode is not ("in-process" or "children" or "speed" or "train")) throw new CliException($"--numerics must be 'in-process', 'children', 'speed' or 'train', got '{numMode}'");
        a.RejectUnknown(0);

        var o = Console.Out;
        o.WriteLine($"bench: {Environment.ProcessorCount} cores, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, " +
                    $"load average {LoadAverage()} (a shared machine skews absolute figures; ratios come from alternating repeats)");
        o.WriteLine(Experiments.KitRuntime.Allocator == "tuned"
            ? $"allocator: tuned on both sides (mallopt here; the PyTorch child gets GLIBC_TUNABLES={Experiments.KitRuntime.GlibcTunables}); CORRKD_MALLOC=glibc for glibc's defaults"
            : "allocator: glibc defaults on both sides (CORRKD_MALLOC=glibc)" +
              (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { Length: > 0 } t ? $"; warning: GLIBC_TUNABLES={t} is set in this process's environment" : ""));
        string? ratioLine = null;

        if (only.Contains("a"))
        {
            o.WriteLine();
            o.WriteLine($"(a) student training step: frozen teacher forward + student forward/backward + CE+SCD+CPD+RCD + clip + Adam");
            o.WriteLine($"    {repeats} alternating repeats per side of ~{seconds:0.#} s after warm-up; threads {string.Join(",", threads)}");
            foreach (var s in shapes) o.WriteLine($"    {s}");
            var rows = TrainingThroughputBench.Run(new TrainingBenchOptions
            {
                Shapes = shapes, Threads = threads, Repeats = repeats, SecondsPerRepeat = seconds, Warmup = quick ? 1 : 2,
                Script = script, Python = python, PyTorchDefaultThreads = pyThreads == "default",
            }, o, out var missing);
            o.WriteLine();
            o.WriteLine("| shape | threads | batch | TorchSharp samples/s (median) | PyTorch samples/s (median) | median/median | median of paired ratios |");
            o.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var r in rows)
                o.WriteLine($"| {r.Shape} | {r.Threads} | {r.Batch} | {BenchStats.F2(r.TorchSharpMedian)} | {BenchStats.F2(r.PyTorchMedian)} | {BenchStats.F2(r.MedianRatio)} | {BenchStats.F2(r.Ratio)} |");
            o.WriteLine();
            foreach (var s in shapes)
            {
                var c = TrainingThroughputBench.MeasureBatchCosts(s, s.Family == "mosei" ? 16326 : s.Family == "iemocap" ? 2717 : 1284);
                o.WriteLine($"    per batch ({s.Name}, {threads[0]} thr): teacher forward {c.TeacherForwardMs:F1} ms (cached by StudentObjective), " +
                            $"Predictor.Gather {c.GatherMs:F2} ms, MRM sampler {(double.IsNaN(c.MissingSamplerMs) ? c.Note : $"{c.MissingSamplerMs:F2} ms")}");
            }
            var main = rows.Where(r => r.Threads == threads[0]).ToList();
            ratioLine = missing != null
                ? $"training throughput ratio torchsharp/pytorch: unavailable ({missing})"
                : $"training throughput ratio torchsharp/pytorch: {BenchStats.F2(BenchStats.Median(main.Select(r => r.Ratio)))}";
            o.WriteLine(main.Count == 1
                ? $"    the ratio below is {main[0].Shape} at {threads[0]} threads: the median of the paired (back-to-back) TorchSharp/PyTorch ratios"
                : $"    the ratio below is the median over the {main.Count} shapes at {threads[0]} threads of each shape's median paired (back-to-back) ratio");
        }

        if (only.Contains("b"))
        {
            o.WriteLine();
            o.WriteLine($"(b) evaluation sweep as a training run does it (MissingProtocols.Sweep, with scoring): 7 availability sets + 11 intra rates " +
                        "(rate 0 reuses the complete logits, rate 1 is one zero sample), MOSI-size test split");
            var e = EvalSweepBench.Run(repeats: Math.Max(3, repeats));
            o.WriteLine($"    {e.Samples} samples, eval batch {e.BatchSize}, threads {TorchSharp.torch.get_num_threads()}: full sweep {e.MedianSweep:F2} s median of {e.SweepSeconds.Length} " +
                        $"({string.Join(" ", e.SweepSeconds.Select(x => x.ToString("F2")))}); availability part {e.MedianAvailability:F2} s, intra part {e.MedianIntra:F2} s");
        }

        if (only.Contains("c"))
        {
            o.WriteLine();
            o.WriteLine($"(c) load: MOSEI-size MMSA pickle{(loadScale < 1 ? $" scaled by {loadScale}" : "")} (float64, FormatBenchmark.WriteSyntheticMmsa) -> DatasetFiles.Load");
            var l = LoadBench.Run(Path.GetTempPath(), loadScale, o, out var skipped);
            if (l == null) o.WriteLine($"    skipped: {skipped}");
            else o.WriteLine($"    file {l.FileMb:F0} MB, float32 data {l.Float32Mb:F0} MB: load {l.Seconds:F1} s = {l.MbPerSecond:F0} MB/s; " +
                             $"peak RSS {l.PeakRssMb:F0} MB (from {l.RssBeforeMb:F0} MB before: {l.PeakOverData:F2} x the float32 data)");
            var (wall, cpu) = LoadBench.SyntheticGeneration(Math.Max(3, repeats));
            o.WriteLine($"    generating the default data set (synthetic-mosi, 2199 samples): {BenchStats.Median(wall):F2} s wall, " +
                        $"{BenchStats.Median(cpu):F2} s CPU, medians of {wall.Length} (target under 2 s)");
        }

        if (only.Contains("d"))
        {
            o.WriteLine();
            o.WriteLine("(d) resident memory of a full-size student run with its evaluation (synthetic-mosi, 10 epochs of corrkd, test sweep; 1 process)");
            var m = MemoryBench.Run(10, log: o);
            o.WriteLine($"    RSS before {m.RssBeforeMb:F0} MB; after epochs {m.RssAfterEpochMb.Min():F0}..{m.RssAfterEpochMb.Max():F0} MB; " +
                        $"growth epoch 2 -> {m.Epochs}: {Reporting.NumberText.Signed(m.GrowthAfterEpoch2, 0)} MB; after the sweep {m.RssAfterSweepMb:F0} MB; peak {m.PeakMb:F0} MB; " +
                        $"disposed and released {m.RssAfterReleaseMb:F0} MB");
        }

        if (only.Contains("e"))
        {
            int nthreads = threadsGiven ? threads[0] : 1;   // numerics default to 1 thread; --threads makes it the variable
            TorchSharp.torch.set_num_threads(nthreads);
            var cases = NumericsBench.Select(caseFilters);
            o.WriteLine();
            o.WriteLine($"(e) numerics: libtorch conv1d (k 3, pad 1, no bias) and fused scaled_dot_product_attention vs float64, forward + backward; " +
                        $"{trials} trials per case, seed {numSeed}, {nthreads} thread(s), allocator {Experiments.KitRuntime.Allocator}, " +
                        $"DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") ?? "-"}, " +
                        $"ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "-"}, " +
                        $"MKL_ENABLE_INSTRUCTIONS={Environment.GetEnvironmentVariable("MKL_ENABLE_INSTRUCTIONS") ?? "-"}, " +
                        $"ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") ?? "-"}");
            if (numMode == "children")
                return NumericsBench.RunChildren(cases, trials, numSeed, nthreads, caseFilters, o);
            if (numMode == "train")
            {
                var probe = NumericsTrainingProbe.Run(trials, numSeed, o);
                o.WriteLine($"    old-model training probe (libtorch Conv1d + fused SDPA with dropout, missing modalities, zeroed frames, last batch 4): " +
                            $"{probe.Steps} steps ({probe.PartialBatches} partial batches) in {probe.Seconds:F0} s; conv outputs non-finite {probe.ConvNonFinite}/{probe.ConvCalls}, " +
                            $"attention outputs non-finite {probe.AttentionNonFinite}/{probe.AttentionCalls}, loss non-finite {probe.LossNonFinite}, gradient norm non-finite {probe.GradNonFinite}; " +
                            $"L1 loss {probe.FirstLoss:F3} -> {probe.LastLoss:F3}");
                return 0;
            }
            if (numMode == "speed")
            {
                o.WriteLine($"    speed: kit's written-out kernels vs libtorch's, {repeats} alternating repeats of {trials} calls each");
                NumericsBench.Speed(repeats, trials, o);
                return 0;
            }
            var rows = NumericsBench.Run(cases, trials, numSeed, o);
            NumericsBench.PrintTable(rows, o);
            if (Environment.GetEnvironmentVariable(NumericsBench.ChildVariable) == "1") foreach (var r in rows) o.WriteLine(NumericsBench.SummaryLine(r));
        }

        if (ratioLine != null) { o.WriteLine(); o.WriteLine(ratioLine); }
        return 0;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; } catch (IOException) { return "n/a"; }
    }
}
