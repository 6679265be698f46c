using CorrKD.Experiments;
using CorrKD.Training;

namespace CorrKD.Cli;

/// <summary>`grid`, `reproduce` and `tables`: many runs, then the paper's tables and charts.</summary>
public static class ExperimentCommands
{
    public static int Grid(CliArgs a)
    {
        var spec = ReadSpec(a, new GridSpec());
        var dir = a.Str("out") ?? throw new CliException("grid needs --out GRID_DIR (reuse the same folder to resume or to run another shard)");
        return RunGrid(a, spec, dir, report: a.Flag("report"));
    }

    public static int Reproduce(CliArgs a)
    {
        bool smoke = a.Flag("smoke");
        var spec = ReadSpec(a, Presets.Reproduce(smoke));
        var dir = a.Str("resume") ?? a.Str("out") ?? Path.Combine("runs", $"reproduce{(smoke ? "-smoke" : "")}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (a.Str("resume") == null && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} already exists; refusing to overwrite an earlier run (continue it with --resume {dir})");
        return RunGrid(a, spec, dir, report: true);
    }

    public static int Study(CliArgs a)
    {
        bool smoke = a.Flag("smoke");
        var datasets = a.List("datasets") ?? new[] { smoke ? "synthetic-mosi-tiny" : "synthetic-mosi" };
        var spec = Experiments.Study.Spec(datasets, smoke);
        if (a.List("seeds") is { } s) spec = spec with { Seeds = s.Select(x => ParseInt(x, "seeds")).ToArray() };
        if (a.List("data-seeds") is { } ds) spec = spec with { DataSeeds = ds.Select(x => ParseInt(x, "data-seeds")).ToArray() };
        if (a.Int("epochs") is int e) spec = spec with { Epochs = e };
        spec = WithStandardize(a, spec);
        var dir = a.Str("resume") ?? a.Str("out") ?? Path.Combine("runs", $"study{(smoke ? "-smoke" : "")}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (a.Str("resume") == null && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} already exists; refusing to overwrite an earlier run (continue it with --resume {dir})");
        var shard = a.Str("shard") is { } sh ? GridRunner.Shard.Parse(sh) : GridRunner.Shard.All;
        int threads = a.Int("threads") ?? 0;
        var device = a.Str("device", "auto");
        bool reportOnly = a.Flag("report-only");
        a.RejectUnknown(0);
        if (reportOnly)
        {
            // Analyse what has finished so far (other shards may still be training); trains nothing.
            spec = GridSpec.Read(a.Str("resume") ?? throw new CliException("--report-only needs --resume STUDY_DIR"));
        }
        else
        {
            GridRunner.Run(spec, dir, shard, threads, device, new ConsoleProgress(), Console.Error);
            if (shard.Count > 1) { Console.WriteLine($"shard {shard.Index}/{shard.Count} done; when all finish, rerun `study --resume {dir}` to analyse"); return 0; }
        }
        var report = Path.Combine(dir, "report");
        Console.WriteLine(Experiments.Study.WriteReport(GridRunner.CollectResults(new[] { dir }), report, png: !smoke,
            header: Experiments.Study.StatusText(spec, dir)));
        Console.WriteLine($"study under {Path.GetFullPath(dir)}; report in {Path.GetFullPath(report)}");
        return 0;
    }

    public static int Tables(CliArgs a)
    {
        var runs = a.List("runs") ?? throw new CliException("tables needs --runs DIR[,DIR...] (run, grid or reproduce folders)");
        var output = a.Str("out") ?? Path.Combine("runs", $"tables-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        bool published = !a.Flag("no-published");
        a.RejectUnknown(0);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new IOException($"{output} already exists; refusing to overwrite it");
        var report = Report.Build(GridRunner.CollectResults(runs), output, published, png: true, Console.Error);
        Console.WriteLine(report.MainTableMarkdown);
        Console.WriteLine(report.Summary);
        Console.WriteLine($"tables and charts: {Path.GetFullPath(output)}");
        return 0;
    }

    private static GridSpec ReadSpec(CliArgs a, GridSpec preset)
    {
        var spec = preset;
        if (a.List("datasets") is { } d) spec = spec with { Datasets = d };
        if (a.List("variants") is { } v) spec = spec with { Variants = v };
        if (a.List("seeds") is { } s) spec = spec with { Seeds = s.Select(x => ParseInt(x, "seeds")).ToArray() };
        if (a.List("data-seeds") is { } ds) spec = spec with { DataSeeds = ds.Select(x => ParseInt(x, "data-seeds")).ToArray() };
        if (a.Int("epochs") is int e) spec = spec with { Epochs = e };
        if (a.Flag("no-intra")) spec = spec with { EvaluateIntra = false };
        spec = WithStandardize(a, spec);
        foreach (var variant in spec.Variants)
            if (!Distillation.DistillationVariants.Names.Contains(variant))
                throw new CliException($"unknown variant '{variant}': expected {string.Join(", ", Distillation.DistillationVariants.Names)}");
        return spec;
    }

    private static int RunGrid(CliArgs a, GridSpec spec, string dir, bool report)
    {
        var shard = a.Str("shard") is { } sh ? GridRunner.Shard.Parse(sh) : GridRunner.Shard.All;
        int threads = a.Int("threads") ?? 0;
        var device = a.Str("device", "auto");
        a.RejectUnknown(0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cells = GridRunner.Run(spec, dir, shard, threads, device, new ConsoleProgress(), Console.Error);
        Console.Error.WriteLine($"grid: {cells.Count(c => !c.Skipped)} runs trained, {cells.Count(c => c.Skipped)} skipped (done earlier), {clock.Elapsed:hh\\:mm\\:ss}");
        if (report && shard.Count == 1)
        {
            var output = Path.Combine(dir, "report");
            var r = Report.Build(GridRunner.CollectResults(new[] { dir }), output, withPublished: true, png: !a.Flag("smoke"), Console.Error);
            Console.WriteLine(r.MainTableMarkdown);
            Console.WriteLine(r.Summary);
            Console.WriteLine($"wall time {clock.Elapsed:hh\\:mm\\:ss}; tables, charts and predictions under {Path.GetFullPath(dir)}");
        }
        else if (shard.Count > 1)
            Console.WriteLine($"shard {shard.Index}/{shard.Count} done; when all shards finish, run: tables --runs {dir}");
        return 0;
    }

    /// <summary>--standardize: every setting of the grid gets features.standardize = true (teachers included).</summary>
    private static GridSpec WithStandardize(CliArgs a, GridSpec spec) => a.Flag("standardize")
        ? spec.WithPatch(new System.Text.Json.Nodes.JsonObject { ["features"] = new System.Text.Json.Nodes.JsonObject { ["standardize"] = true } })
        : spec;

    private static int ParseInt(string s, string option) =>
        int.TryParse(s, out var v) ? v : throw new CliException($"--{option} expects integers, got '{s}'");
}
