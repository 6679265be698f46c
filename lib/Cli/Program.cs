using CorrKD.Data;
using CorrKD.Training;

namespace CorrKD.Cli;

/// <summary>The command-line entry point: `dotnet run -c Release -- COMMAND ...` or `./kit COMMAND ...`.</summary>
public static class Program
{
    private static readonly (string Name, string Usage, Func<CliArgs, int> Run)[] Commands =
    {
        ("data", "data inspect PATH|NAME [--json] [--data-seed N]\n  data synth NAME --out FILE [--data-seed N]", DataCommands.Run),
        ("teacher", "teacher --dataset NAME|PATH [--seed N] [--data-seed N] [--epochs N] [--device auto|cpu|cuda] [--threads N] [--config FILE] [--out RUN_DIR] [--resume RUN_DIR] [--no-intra] [--standardize]", TrainCommands.Teacher),
        ("export", "export --run RUN_DIR [--out FILE] [--format safetensors|pt]", TrainCommands.Export),
        ("reproduce", "reproduce [--smoke] [--out DIR | --resume DIR] [--seeds 0,1,2] [--datasets A,B] [--variants ...] [--epochs N] [--jobs N] [--device D] [--shard i/N] [--no-intra] [--standardize]\n  reproduce --check RUN_DIR [--reference DIR]", ExperimentCommands.Reproduce),
        ("grid", "grid --out GRID_DIR [--datasets A,B] [--data-seeds 0,1] [--seeds 0,1,2] [--variants corrkd,no-kd,...] [--epochs N] [--jobs N] [--device D] [--shard i/N] [--report] [--no-intra] [--standardize]", ExperimentCommands.Grid),
        ("study", "study [--smoke] [--datasets synthetic-mosi,synthetic-iemocap|PATH,...] [--seeds 0,..,9] [--data-seeds 0,1,2] [--epochs N] [--out DIR | --resume DIR [--report-only]] [--shard i/N] [--jobs N] [--device D] [--standardize]", ExperimentCommands.Study),
        ("tables", "tables --runs DIR[,DIR...] [--out DIR] [--no-published]", ExperimentCommands.Tables),
        ("distill", "distill --teacher RUN_DIR --variant corrkd|wo-scd|wo-cpd|rcd-kl|no-kd|kd [--seed N] [--epochs N] [--device D] [--threads N] [--config FILE] [--out RUN_DIR] [--resume RUN_DIR] [--no-intra] [--standardize (must match the teacher)]", TrainCommands.Distill),
        ("readme", "readme [--check]   regenerate README.md's result blocks from results/ (--check: exit 1 when stale)", ExperimentCommands.Readme),
        ("bench", BenchCommand.Usage, BenchCommand.Run),
        ("worker", "worker GRID_DIR [--shard i/N] [--device D]   (internal: one single-thread worker of grid/reproduce/study --jobs)", ExperimentCommands.Worker),
        ("notebooks", NotebookCommands.Usage, NotebookCommands.Run),
    };

    internal static readonly HashSet<string> Flags = new() { "json", "smoke", "quick", "no-intra", "no-published", "report", "report-only", "check", "help", "standardize" };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { PrintUsage(Console.Out); return args.Length == 0 ? 2 : 0; }
        var cmd = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (cmd.Name == null)
        {
            Console.Error.WriteLine($"error: unknown command '{args[0]}'");
            PrintUsage(Console.Error);
            return 2;
        }
        try
        {
            Experiments.KitRuntime.ConfigureAllocator();
            return cmd.Run(new CliArgs(args.Skip(1), Flags));
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"error: {e.Message}\nusage: {cmd.Usage}");
            return 2;
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or FileNotFoundException or DirectoryNotFoundException
                                      or IOException or InvalidDataException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("CORRKD_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    private static void PrintUsage(TextWriter w)
    {
        w.WriteLine("CorrKD.Kit: correlation-decoupled distillation for missing-modality sentiment analysis (TorchSharp)");
        w.WriteLine("usage:");
        foreach (var c in Commands) w.WriteLine("  " + c.Usage);
        w.WriteLine("Set CORRKD_DEBUG=1 for stack traces.");
    }
}
