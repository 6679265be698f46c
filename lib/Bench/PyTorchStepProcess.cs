using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CorrKD.Bench;

/// <summary>
/// The PyTorch half of the training-step bench: one long-lived bench/pytorch_step.py process per
/// (shape, threads), built and warmed up once, then driven one timed repeat at a time over stdin
/// ("run STEPS" -> {"seconds": S}), so TorchSharp and PyTorch repeats really alternate.
/// </summary>
public sealed class PyTorchStepProcess : IDisposable
{
    /// <summary>Debian's interpreter with python3-torch (the pyenv python3 on PATH has no torch).</summary>
    public const string DefaultPython = "/usr/bin/python3";
    public const string InstallHint = "apt-get install -y python3-torch python3-numpy libopenblas0-pthread";

    private readonly Process process;
    private readonly StringBuilder stderr = new();

    public long BackboneParameters { get; }
    public long ObjectiveParameters { get; }
    public string TorchVersion { get; }
    public int Threads { get; }

    /// <param name="shape">Batch, sequence and feature sizes of the step.</param>
    /// <param name="threads">torch.set_num_threads(N) in the child; 0 leaves torch's own default (to measure whether it matters)</param>
    /// <param name="warmup">Untimed steps before the first timed repeat.</param>
    /// <param name="script">Path of bench/pytorch_step.py.</param>
    /// <param name="python">Interpreter (Debian's, with python3-torch).</param>
    public PyTorchStepProcess(StepShape shape, int threads, int warmup, string script, string python = DefaultPython)
    {
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "--batch", $"{shape.Batch}", "--seq", $"{shape.SeqLen}", "--dims", string.Join(",", shape.Dims),
                     "--heads", $"{shape.Heads}", "--classes", $"{shape.Classes}", "--lr", shape.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                     "--clip", shape.ClipGrad.ToString("R", CultureInfo.InvariantCulture), "--threads", $"{threads}", "--warmup", $"{warmup}" })
            psi.ArgumentList.Add(arg);
        psi.Environment["OPENBLAS_NUM_THREADS"] = "1";   // torch's own pool does the threading; OpenBLAS threads would oversubscribe
        // The child's malloc gets the same settings as this process (KitRuntime.ConfigureAllocator), so the ratio is fair.
        if (Experiments.KitRuntime.Allocator == "tuned") psi.Environment["GLIBC_TUNABLES"] = Experiments.KitRuntime.GlibcTunables;
        else psi.Environment.Remove("GLIBC_TUNABLES");
        process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        var ready = ReadJson("start-up");
        BackboneParameters = (long)ready["params_backbone"]!;
        ObjectiveParameters = (long)ready["params_objective"]!;
        TorchVersion = (string)ready["torch"]!;
        Threads = (int)ready["threads"]!;
    }

    /// <summary>Wall seconds the child reports for <paramref name="steps"/> consecutive steps.</summary>
    public double Time(int steps)
    {
        process.StandardInput.WriteLine($"run {steps}");
        process.StandardInput.Flush();
        return (double)ReadJson("run")["seconds"]!;
    }

    /// <summary>Null when <paramref name="python"/> can import torch with a usable BLAS, else why not and how to install.</summary>
    public static string? Unavailable(string python = DefaultPython)
    {
        if (!File.Exists(python)) return $"{python} not found; install: {InstallHint}";
        try
        {
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c"); psi.ArgumentList.Add("import torch, numpy; print(torch.__version__)");
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{python} cannot import torch/numpy ({err.Result.Trim().Split('\n').LastOrDefault()}); install: {InstallHint}";
        }
        catch (Exception e) { return $"{python} failed to run ({e.Message}); install: {InstallHint}"; }
    }

    /// <summary>bench/pytorch_step.py found upwards from the working directory or the build output, or null.</summary>
    public static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "bench", "pytorch_step.py");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    private JsonObject ReadJson(string what)
    {
        while (true)
        {
            var line = process.StandardOutput.ReadLine();
            if (line == null)
            {
                process.WaitForExit(5000);
                string err; lock (stderr) err = stderr.ToString().Trim();
                throw new InvalidOperationException($"pytorch_step.py ended during {what}: {(err.Length > 0 ? err : "no message")}");
            }
            if (!line.StartsWith('{')) continue;   // anything else (warnings) is not a reply
            var json = JsonNode.Parse(line)!.AsObject();
            if (json["error"] is { } e) throw new InvalidOperationException($"pytorch_step.py: {e}");
            return json;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine("quit");
                process.StandardInput.Close();
                if (!process.WaitForExit(10000)) process.Kill();
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
