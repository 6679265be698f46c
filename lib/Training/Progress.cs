namespace CorrKD.Training;

/// <summary>One progress report of a long job: where it is (epoch/batch) and the latest figures.</summary>
/// <summary>EpochDone: the epoch's validation finished and Detail carries its figures.</summary>
public sealed record TrainProgress(string Stage, int Epoch, int Epochs, int Batch, int Batches, double Loss, string Detail = "", bool EpochDone = false);

/// <summary>
/// Renders progress in a terminal: a redrawn one-line bar on an interactive console, and one line per epoch
/// when output is redirected (CI logs, files), so logs stay readable.
/// </summary>
public sealed class ConsoleProgress : IProgress<TrainProgress>
{
    private readonly TextWriter output;
    private readonly bool interactive;
    private DateTime lastDraw = DateTime.MinValue;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();

    public ConsoleProgress(TextWriter? output = null)
    {
        this.output = output ?? Console.Error;
        interactive = output == null && !Console.IsErrorRedirected;
    }

    public void Report(TrainProgress p)
    {
        bool epochEnd = p.EpochDone;
        if (interactive)
        {
            if (!epochEnd && (DateTime.UtcNow - lastDraw).TotalMilliseconds < 100) return;
            lastDraw = DateTime.UtcNow;
            double frac = p.Epochs == 0 ? 1 : ((p.Epoch - 1) + (double)p.Batch / Math.Max(1, p.Batches)) / p.Epochs;
            int width = 28, filled = (int)Math.Round(frac * width);
            var bar = new string('#', filled) + new string('-', width - filled);
            output.Write($"\r{p.Stage,-10} [{bar}] epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches} loss {p.Loss:F4} {p.Detail} {clock.Elapsed:mm\\:ss}   ");
            if (epochEnd && p.Epoch == p.Epochs) output.WriteLine();
        }
        else if (epochEnd)
            output.WriteLine($"{p.Stage} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} {p.Detail} [{clock.Elapsed:mm\\:ss}]");
    }
}
