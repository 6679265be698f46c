using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CorrKD.Experiments;

/// <summary>
/// A run's own folder. Created fresh (an existing folder is never reused unless resuming it explicitly);
/// every file is written atomically (temp file + rename) so an interrupted run never leaves a torn file.
/// </summary>
public sealed class RunFolder
{
    public string Path { get; }
    private RunFolder(string path) => Path = path;

    /// <summary>A new folder; <paramref name="requested"/> must not exist yet. Null picks runs/KIND-NAME-TIMESTAMP.</summary>
    public static RunFolder CreateNew(string? requested, string kind, string name, string root = "runs")
    {
        var path = requested ?? System.IO.Path.Combine(root, $"{kind}-{Sanitize(name)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new IOException($"run folder {path} already exists and is not empty; refusing to overwrite an earlier run. " +
                                  "Pick another --out, or continue that run with --resume " + path);
        if (requested == null)
            for (int k = 2; Directory.Exists(path); k++) path = System.IO.Path.Combine(root, $"{kind}-{Sanitize(name)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{k}");
        Directory.CreateDirectory(path);
        return new RunFolder(System.IO.Path.GetFullPath(path));
    }

    /// <summary>An existing run folder (to resume or read).</summary>
    public static RunFolder Open(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"run folder not found: {path}");
        return new RunFolder(System.IO.Path.GetFullPath(path));
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);
    public string Sub(string name) { var p = File(name); Directory.CreateDirectory(p); return p; }

    public void WriteText(string name, string text) => IO.AtomicFile.WriteAllText(File(name), text);
    public void WriteJson(string name, JsonNode node) => WriteText(name, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    public JsonObject ReadJson(string name)
    {
        var f = File(name);
        if (!System.IO.File.Exists(f)) throw new FileNotFoundException($"{f} not found: is {Path} a finished run folder?", f);
        return JsonNode.Parse(System.IO.File.ReadAllText(f))!.AsObject();
    }

    private static string Sanitize(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>Package versions, libtorch version, runtime, OS, threads and the git commit, for run.json.</summary>
    public static JsonObject Environment_()
    {
        string Ver(Assembly a) => a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                                  ?? a.GetName().Version?.ToString() ?? "?";
        var packages = new JsonObject();
        foreach (var t in new[] { typeof(TorchSharp.torch), typeof(Microsoft.Data.Analysis.DataFrame), typeof(Plotly.NET.GenericChart),
                     typeof(CorrKD.Model.CorrKDBackbone) })
            packages[t.Assembly.GetName().Name!] = Ver(t.Assembly);
        return new JsonObject
        {
            ["packages"] = packages,
            ["libtorch"] = TorchSharp.torch.__version__,
            ["torch_backend"] = KitRuntime.TorchBackend,
            ["dotnet"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["torch_threads"] = TorchSharp.torch.get_num_threads(),
            ["allocator"] = KitRuntime.Allocator,
            ["numerics"] = KitRuntime.Numerics(),
            ["git_commit"] = GitCommit(),
            ["started_utc"] = DateTime.UtcNow.ToString("o"),
        };
    }

    public static string GitCommit()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse --short=12 HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            if (p.ExitCode != 0 || s.Length == 0) return "unknown";
            var dirty = new ProcessStartInfo("git", "status --porcelain --untracked-files=no") { RedirectStandardOutput = true, UseShellExecute = false };
            using var d = Process.Start(dirty)!;
            var changes = d.StandardOutput.ReadToEnd().Trim();
            d.WaitForExit(5000);
            return changes.Length > 0 ? s + "-dirty" : s;
        }
        catch { return "unknown"; }
    }
}
