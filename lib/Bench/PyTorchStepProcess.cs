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
    /// <summary>The BLAS/LAPACK libraries the child has mapped, ";"-joined (e.g. .../openblas-pthread/libopenblasp-r0.3.21.so;...).</summary>
    public string Blas { get; }

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
        Blas = (string?)ready["blas"] ?? "not reported";
    }

    /// <summary>Wall seconds the child reports for <paramref name="steps"/> consecutive steps.</summary>
    public double Time(int steps)
    {
        process.StandardInput.WriteLine($"run {steps}");
        process.StandardInput.Flush();
        return (double)ReadJson("run")["seconds"]!;
    }

    /// <summary>Null when <paramref name="python"/> runs <paramref name="script"/> with torch on an optimised BLAS, else
    /// why not and how to install. Debian's torch calls libblas.so.3, which points at the reference (netlib) BLAS unless
    /// OpenBLAS is installed; against its unoptimised GEMMs a throughput ratio would only measure the BLAS (on an EPYC
    /// it made PyTorch's step 3–4x slower), so the bench then runs without the baseline. The check times one 512x512
    /// matmul on one thread (<see cref="BlasProblem"/>).</summary>
    public static string? Unavailable(string python, string script)
    {
        if (!File.Exists(python)) return $"{python} not found; install: {InstallHint}";
        try
        {
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(script); psi.ArgumentList.Add("--blas");
            psi.Environment["OPENBLAS_NUM_THREADS"] = "1";
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) return $"{python} cannot run {script} ({err.Result.Trim().Split('\n').LastOrDefault()}); install: {InstallHint}";
            var reply = JsonNode.Parse(output.Trim().Split('\n').Last())!;
            return BlasProblem((double)reply["sgemm_gflops"]!, (string?)reply["blas"] ?? "none found", python);
        }
        catch (Exception e) when (e is not OutOfMemoryException) { return $"{python} failed to run {script} ({e.Message}); install: {InstallHint}"; }
    }

    /// <summary>Below this single-thread sgemm rate (GFLOP/s) torch's BLAS counts as unoptimised: the reference BLAS
    /// gave 4.8 on an EPYC (Zen 4), OpenBLAS 133–151.</summary>
    public const double MinSgemmGflops = 10;

    /// <summary>Why a PyTorch whose BLAS runs a 512x512 sgemm at <paramref name="gflops"/> is no baseline, or null.</summary>
    public static string? BlasProblem(double gflops, string blas, string python) =>
        gflops >= MinSgemmGflops ? null
            : $"{python}'s torch multiplies 512x512 matrices at {gflops:0.0} GFLOP/s on one thread (below {MinSgemmGflops}: an unoptimised BLAS, " +
              $"e.g. Debian's reference libblas3; mapped: {blas}), so a ratio against it would measure the BLAS; install: {InstallHint}";

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
