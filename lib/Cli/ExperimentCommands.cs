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
        spec = KeepsItsGrid(a, dir, spec, GridShaping);
        return RunGrid(a, spec, dir, report: a.Flag("report"));
    }

    public static int Reproduce(CliArgs a)
    {
        if (a.Flag("check")) return Check(a, a.Positional(0, "RUN_DIR (reproduce --check RUN_DIR)"));
        bool smoke = a.Flag("smoke");
        var spec = KeepsItsGrid(a, a.Str("resume"), ReadSpec(a, Presets.Reproduce(smoke)), GridShaping);
        var dir = a.Str("resume") ?? a.Str("out") ?? Path.Combine("runs", $"reproduce{(smoke ? "-smoke" : "")}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (a.Str("resume") == null && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} already exists; refusing to overwrite an earlier run (continue it with --resume {dir})");
        return RunGrid(a, spec, dir, report: true);
    }

    /// <summary>`reproduce --check RUN_DIR [--reference DIR]`: every value of a finished grid against a reference; the
    /// verdict is the last line, and the exit code is 1 when anything differs.</summary>
    private static int Check(CliArgs a, string runDir)
    {
        var reference = a.Str("reference");
        a.RejectUnknown(1);
        reference ??= ReferenceResults.DefaultFor(runDir);
        var result = ReferenceCheck.Compare(runDir, reference);
        foreach (var d in result.Differences.Take(20)) Console.WriteLine(d);
        if (result.Differences.Count > 20) Console.WriteLine($"... and {result.Differences.Count - 20} more differences");
        foreach (var m in result.MissingRuns) Console.WriteLine($"missing from the rerun: {m}");
        foreach (var e in result.ExtraRuns) Console.WriteLine($"not in the reference: {e}");
        Console.WriteLine(result.Verdict());
        return result.Identical ? 0 : 1;
    }

    /// <summary>`readme [--check]`: rewrites README.md's generated blocks from the committed results (or, with
    /// --check, exits 1 naming the blocks that are stale).</summary>
    public static int Readme(CliArgs a)
    {
        bool check = a.Flag("check");
        a.RejectUnknown(0);
        var root = ReferenceResults.RepoRoot();
        var path = Path.Combine(root, "README.md");
        var text = File.ReadAllText(path);
        var blocks = ReadmeBlocks.Render(root);
        var updated = ReadmeBlocks.Apply(text, blocks);
        if (check)
        {
            Console.WriteLine(updated == text ? $"README.md is up to date with {string.Join(", ", blocks.Keys.Select(k => "results/" + k))}"
                                              : "README.md differs from the committed results: run ./kit readme");
            return updated == text ? 0 : 1;
        }
        if (updated != text) IO.AtomicFile.WriteAllText(path, updated);
        Console.WriteLine(updated == text ? "README.md already up to date" : $"README.md: regenerated {string.Join(", ", blocks.Keys)}");
        return 0;
    }

    public static int Study(CliArgs a)
    {
        bool smoke = a.Flag("smoke");
        var datasets = a.List("datasets") ?? Experiments.Study.DefaultDatasets(smoke);
        var spec = Experiments.Study.Spec(datasets, smoke);
        if (a.List("seeds") is { } s) spec = spec with { Seeds = s.Select(x => ParseInt(x, "seeds")).ToArray() };
        if (a.List("data-seeds") is { } ds) spec = spec with { DataSeeds = ds.Select(x => ParseInt(x, "data-seeds")).ToArray() };
        if (a.Int("epochs") is int e) spec = spec with { Epochs = e };
        spec = KeepsItsGrid(a, a.Str("resume"), WithStandardize(a, spec), StudyShaping);
        var dir = a.Str("resume") ?? a.Str("out") ?? Path.Combine("runs", $"study{(smoke ? "-smoke" : "")}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (a.Str("resume") == null && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} already exists; refusing to overwrite an earlier run (continue it with --resume {dir})");
        var (shard, jobs, device) = GridOptions(a);
        bool reportOnly = a.Flag("report-only");
        a.RejectUnknown(0);
        if (reportOnly)
        {
            // Analyse what has finished so far (other shards may still be training); trains nothing.
            spec = GridSpec.Read(a.Str("resume") ?? throw new CliException("--report-only needs --resume STUDY_DIR"));
        }
        else
        {
            GridJobs.Run(spec, dir, jobs, shard, device, Console.Error);
            if (shard.Count > 1) { Console.WriteLine($"shard {shard.Index}/{shard.Count} done; when all finish, rerun `study --resume {dir}` to analyse"); return 0; }
        }
        var report = Path.Combine(dir, "report");
        Console.WriteLine(Experiments.Study.WriteReport(Experiments.Study.Results(dir), report, png: !smoke,
            header: Experiments.Study.StatusText(spec, dir), spec: spec, gridDir: dir));
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

    private static readonly string[] GridShaping = { "smoke", "datasets", "variants", "seeds", "data-seeds", "epochs", "no-intra", "standardize" };
    private static readonly string[] StudyShaping = { "smoke", "datasets", "seeds", "data-seeds", "epochs", "standardize" };

    private static GridSpec KeepsItsGrid(CliArgs a, string? dir, GridSpec described, string[] shaping)
    {
        bool shaped = false;
        foreach (var option in shaping) shaped |= a.Flag(option);
        return GridSpec.ForResume(dir, described, shaped);
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
        var (shard, jobs, device) = GridOptions(a);
        a.RejectUnknown(0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        GridJobs.Run(spec, dir, jobs, shard, device, Console.Error);
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

    /// <summary>--shard, --jobs and --device of grid, reproduce and study. Grids train every run with one thread
    /// (<see cref="GridJobs.ThreadsPerRun"/>), so --threads is refused there: results must not depend on it.</summary>
    private static (GridRunner.Shard Shard, int Jobs, string Device) GridOptions(CliArgs a)
    {
        if (a.Str("threads") != null)
            throw new CliException("grids train every run with one thread so that results do not depend on the machine; use --jobs N for N parallel workers");
        var shard = a.Str("shard") is { } sh ? GridRunner.Shard.Parse(sh) : GridRunner.Shard.All;
        int jobs = a.Int("jobs") ?? GridJobs.DefaultJobs;
        if (jobs < 1) throw new CliException($"--jobs must be >= 1, got {jobs}");
        return (shard, jobs, a.Str("device", "auto"));
    }

    /// <summary>`worker GRID_DIR`: one single-thread worker of a grid started by --jobs (internal).</summary>
    public static int Worker(CliArgs a)
    {
        var dir = a.Positional(0, "GRID_DIR");
        var shard = a.Str("shard") is { } sh ? GridRunner.Shard.Parse(sh) : GridRunner.Shard.All;
        var device = a.Str("device", "auto");
        a.RejectUnknown(1);
        GridRunner.Run(GridSpec.Read(dir), dir, shard, GridJobs.ThreadsPerRun, device, new ConsoleProgress(Console.Error), Console.Error);
        return 0;
    }

    /// <summary>--standardize: every setting of the grid gets features.standardize = true (teachers included).</summary>
    private static GridSpec WithStandardize(CliArgs a, GridSpec spec) => a.Flag("standardize")
        ? spec.WithPatch(new System.Text.Json.Nodes.JsonObject { ["features"] = new System.Text.Json.Nodes.JsonObject { ["standardize"] = true } })
        : spec;

    private static int ParseInt(string s, string option) =>
        int.TryParse(s, out var v) ? v : throw new CliException($"--{option} expects integers, got '{s}'");
}
