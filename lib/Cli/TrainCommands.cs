using CorrKD.Evaluation;
using CorrKD.Experiments;
using CorrKD.Training;

namespace CorrKD.Cli;

/// <summary>`teacher` and `distill`: one training run each, into a new (or resumed) run folder.</summary>
public static class TrainCommands
{
    public static int Teacher(CliArgs a)
    {
        var r = Common(a) with { Dataset = a.Str("dataset") ?? (a.Str("resume") != null ? "" : throw new CliException("teacher needs --dataset NAME|PATH")) };
        a.RejectUnknown(0);
        Print(TrainingRun.Teacher(r, new ConsoleProgress(), Console.Error));
        return 0;
    }

    public static int Distill(CliArgs a)
    {
        var r = Common(a) with
        {
            TeacherRun = a.Str("teacher"),
            Variant = a.Str("variant") ?? (a.Str("resume") != null ? "" : throw new CliException("distill needs --variant NAME")),
        };
        if (r.TeacherRun == null && r.Resume == null) throw new CliException("distill needs --teacher RUN_DIR");
        if (r.Resume == null && !Distillation.DistillationVariants.Names.Contains(r.Variant))
            throw new CliException($"unknown variant '{r.Variant}': expected one of {string.Join(", ", Distillation.DistillationVariants.Names)}");
        a.RejectUnknown(0);
        Print(TrainingRun.Student(r, new ConsoleProgress(), Console.Error));
        return 0;
    }

    public static int Export(CliArgs a)
    {
        var run = a.Str("run") ?? throw new CliException("export needs --run RUN_DIR");
        var output = a.Str("out");
        var format = a.Str("format", "safetensors");
        a.RejectUnknown(0);
        Console.WriteLine($"wrote {WeightExport.Export(run, output, format)}");
        return 0;
    }

    private static RunRequest Common(CliArgs a) => new()
    {
        Seed = a.Int("seed") ?? 0,
        DataSeed = a.Int("data-seed") ?? 0,
        Epochs = a.Int("epochs"),
        Device = a.Str("device", "auto"),
        Threads = a.Int("threads") ?? 0,
        ConfigPath = a.Str("config"),
        Out = a.Str("out"),
        Resume = a.Str("resume"),
        EvaluateIntra = !a.Flag("no-intra"),
        Standardize = a.Flag("standardize") ? true : null,
    };

    private static void Print(RunSummary s)
    {
        Console.WriteLine($"{s.Kind} {s.Variant} seed {s.Seed} on {s.Dataset}: best epoch {s.BestEpoch}, {s.SecondsPerEpoch:F2} s/epoch");
        Console.WriteLine($"run folder: {s.Folder}");
        var inter = s.Test.Where(c => c.Protocol == "inter").ToList();
        var headline = inter[0].Metrics.ContainsKey("f1_non0") ? "f1_non0" : "f1_avg";
        Console.WriteLine($"test {headline} (%): " + string.Join("  ", inter.Select(c => $"{c.Condition} {100 * c.Metrics[headline]:F2}")));
        var intra = s.Test.Where(c => c.Protocol == "intra").ToList();
        if (intra.Count > 0) Console.WriteLine($"intra-modality {headline} (%): " + string.Join("  ", intra.Select(c => $"r={c.Condition} {100 * c.Metrics[headline]:F2}")));
        if (s.TeacherComplete is double t)
            Console.WriteLine($"teacher complete {100 * t:F2}  student complete {100 * inter.First(c => c.Condition == "lav").Metrics[headline]:F2}  (teacher gap {Reporting.NumberText.Signed(100 * (t - inter.First(c => c.Condition == "lav").Metrics[headline]))})");
    }
}
