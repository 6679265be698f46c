using System.Diagnostics;
using System.Globalization;

namespace CorrKD.Cli;

/// <summary>
/// `notebooks run [--smoke] [NAME...] [--out DIR]`: executes the notebooks headless with the kit's own runner
/// (tests/NotebookRunner, an in-process .NET Interactive C# kernel, built on demand so the kit itself does not depend
/// on .NET Interactive) and writes, per notebook, the executed .ipynb, a self-contained HTML copy (plotly.js inline)
/// and the runner's log into a new run folder, plus summary.txt with each notebook's exit status and wall time.
/// </summary>
public static class NotebookCommands
{
    public const string Usage = "notebooks run [--smoke] [NAME...] [--out DIR]   (NAME: 01, 07-ablations, or a file name; default: all)";

    public static int Run(CliArgs a)
    {
        if (a.Positionals.Count == 0 || a.Positionals[0] != "run") throw new CliException("expected 'notebooks run'");
        bool smoke = a.Flag("smoke");
        var outArg = a.Str("out");
        a.RejectUnknown(int.MaxValue);
        var root = Notebooks.NotebookSetup.RepoRoot(AppContext.BaseDirectory);
        var notebooks = Select(Path.Combine(root, "notebooks"), a.Positionals.Skip(1).ToList());
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var outDir = Path.GetFullPath(outArg ?? Path.Combine(root, "runs", $"notebooks-{stamp}{(smoke ? "-smoke" : "")}"));
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new CliException($"{outDir} exists and is not empty; a run folder is never overwritten");
        Directory.CreateDirectory(outDir);

        var runner = BuildRunner(root);
        Console.WriteLine($"{notebooks.Count} notebook(s), {(smoke ? "smoke" : "full")} settings -> {outDir}");
        int failed = 0;
        foreach (var nb in notebooks)
        {
            var name = Path.GetFileNameWithoutExtension(nb);
            var clock = Stopwatch.StartNew();
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(nb)! };
            foreach (var arg in new[] { runner, nb, "--output", Path.Combine(outDir, name + ".ipynb"), "--html", Path.Combine(outDir, name + ".html") })
                psi.ArgumentList.Add(arg);
            if (smoke) psi.Environment["CORRKD_SMOKE"] = "1"; else psi.Environment.Remove("CORRKD_SMOKE");
            int code;
            using (var log = new StreamWriter(Path.Combine(outDir, name + ".log")))
            using (var p = Process.Start(psi)!)
            {
                p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
                p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.WriteLine(e.Data); };
                p.BeginOutputReadLine(); p.BeginErrorReadLine();
                p.WaitForExit();
                code = p.ExitCode;
            }
            var line = $"{name}: {(code == 0 ? "ok" : $"FAILED (exit {code}, see {name}.log)")}, {clock.Elapsed.TotalSeconds:F0} s";
            File.AppendAllText(Path.Combine(outDir, "summary.txt"), line + "\n");
            Console.WriteLine(line);
            if (code != 0) failed++;
        }
        Console.WriteLine($"{notebooks.Count - failed} of {notebooks.Count} ok; executed copies (.ipynb, .html) in {outDir}");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>notebooks/*.ipynb in order, or those whose file name starts with one of <paramref name="names"/>.</summary>
    private static List<string> Select(string dir, IReadOnlyList<string> names)
    {
        var all = Directory.GetFiles(dir, "*.ipynb").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (names.Count == 0) return all;
        return names.Select(n =>
        {
            var stem = Path.GetFileName(n) is var b && b.EndsWith(".ipynb", StringComparison.Ordinal) ? b[..^6] : Path.GetFileName(n);
            var matches = all.Where(f => Path.GetFileName(f).StartsWith(stem, StringComparison.Ordinal)).ToList();
            return matches.Count == 1 ? matches[0] : throw new CliException(matches.Count == 0
                ? $"no notebook named '{n}' in {dir}"
                : $"'{n}' matches {matches.Count} notebooks: {string.Join(", ", matches.Select(Path.GetFileName))}");
        }).Distinct().ToList();
    }

    /// <summary>Builds tests/NotebookRunner (Release; incremental, so a no-op when current) and returns its dll.</summary>
    private static string BuildRunner(string root)
    {
        var project = Path.Combine(root, "tests", "NotebookRunner", "NotebookRunner.csproj");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var arg in new[] { "build", project, "-c", "Release", "-nologo", "-v", "q", "-clp:ErrorsOnly" }) psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"building the notebook runner failed:\n{output}{err.Result}");
        return Path.Combine(root, "tests", "NotebookRunner", "bin", "Release", "net10.0", "CorrKD.NotebookRunner.dll");
    }
}
