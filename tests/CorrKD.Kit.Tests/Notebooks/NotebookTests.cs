using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CorrKD.Tests.Notebooks;

/// <summary>
/// Every notebook runs, headless, in smoke mode, and every committed notebook is clean (no outputs) and in VS Code's
/// Polyglot format. The runner (tests/NotebookRunner, built with this project) executes one notebook per process;
/// the kit comes from the local feed, which is repacked once per test run when any library source is newer.
/// </summary>
public class NotebookTests
{
    public static readonly string Root = FindRoot();
    public static readonly string NotebookDir = Path.Combine(Root, "notebooks");

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(NotebookDir, "*.ipynb").OrderBy(f => f, StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void RunsInSmokeMode(string notebook)
    {
        LocalFeed.EnsureFresh();
        var runner = RunnerDll();
        var (code, output) = Run("dotnet", new[] { runner, Path.Combine(NotebookDir, notebook) }, NotebookDir,
            new Dictionary<string, string?> { ["CORRKD_SMOKE"] = "1" }, TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"{notebook} failed in smoke mode (runner exit {code}):\n{output}");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void IsCleanPolyglotNotebook(string notebook)
    {
        var text = File.ReadAllText(Path.Combine(NotebookDir, notebook));
        var nb = JsonNode.Parse(text)!.AsObject();
        Assert.True((int)nb["nbformat"]! == 4 && (int)nb["nbformat_minor"]! >= 5, $"{notebook}: nbformat {nb["nbformat"]}.{nb["nbformat_minor"]}, expected 4.5+ (cell ids)");
        var meta = nb["metadata"]!;
        Assert.Equal(".net-csharp", (string?)meta["kernelspec"]?["name"]);
        Assert.Equal("csharp", (string?)meta["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]);
        Assert.Contains(meta["polyglot_notebook"]!["kernelInfo"]!["items"]!.AsArray(), k => (string?)k!["name"] == "csharp");

        var cells = nb["cells"]!.AsArray();
        var ids = cells.Select(c => (string?)c!["id"]).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrWhiteSpace(id), $"{notebook}: a cell has no id"));
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var code = cells.Where(c => (string?)c!["cell_type"] == "code").Select(c => c!).ToList();
        foreach (var c in code)
        {
            var id = (string?)c["id"];
            Assert.True(c["outputs"]!.AsArray().Count == 0, $"{notebook}: cell {id} has committed outputs; clear them before committing");
            Assert.True(c["execution_count"] is null, $"{notebook}: cell {id} has an execution count");
            Assert.True((string?)c["metadata"]?["polyglot_notebook"]?["kernelName"] == "csharp", $"{notebook}: cell {id} lacks metadata.polyglot_notebook.kernelName = csharp");
        }

        // The common opening: package reference, setup, parameters with the smoke switch.
        string Source(JsonNode c) => c["source"] is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)c["source"] ?? "";
        Assert.True(code.Count >= 3, $"{notebook}: expected at least the three opening code cells");
        Assert.Contains("#r \"nuget: CorrKD.Kit, *-*\"", Source(code[0]));
        Assert.Contains("NotebookSetup.Init()", Source(code[1]));
        Assert.Contains("Environment.GetEnvironmentVariable(\"CORRKD_SMOKE\") == \"1\"", Source(code[2]));
        foreach (var c in code)
            foreach (var bad in new[] { "/root/", "/home/", "/work/", "/tmp/", ":\\" })
                Assert.False(Source(c).Contains(bad), $"{notebook}: cell {(string?)c["id"]} holds an absolute path ('{bad}')");
    }

    /// <summary>The runner's build output (built as a project reference of this test project, same configuration).</summary>
    private static string RunnerDll()
    {
        var config = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Release";   // bin/<config>/net10.0/
        var dll = Path.Combine(Root, "tests", "NotebookRunner", "bin", config, "net10.0", "CorrKD.NotebookRunner.dll");
        Assert.True(File.Exists(dll), $"notebook runner not built: {dll}");
        return dll;
    }

    internal static (int Code, string Output) Run(string file, IEnumerable<string> args, string workDir,
        IReadOnlyDictionary<string, string?> env, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var output = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.Start(); p.BeginOutputReadLine(); p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout.TotalSeconds:F0} s\n{output}");
        }
        p.WaitForExit();
        lock (output) return (p.ExitCode, output.ToString());
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CorrKD.Kit.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException($"no CorrKD.Kit.csproj above {AppContext.BaseDirectory}");
    }
}

/// <summary>
/// Keeps notebooks/.feed current: repacks (build/pack-local.sh) when no package is there or any input of the kit
/// (lib/**/*.cs, project and props files, embedded configs) is newer than the newest package. Once per process.
/// </summary>
public static class LocalFeed
{
    private static readonly Lazy<string> Checked = new(Refresh, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string EnsureFresh() => Checked.Value;

    private static string Refresh()
    {
        var root = NotebookTests.Root;
        var feed = Path.Combine(root, "notebooks", ".feed");
        var newestPackage = Directory.Exists(feed)
            ? Directory.GetFiles(feed, "CorrKD.Kit.*.nupkg").Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max()
            : DateTime.MinValue;
        var inputs = Directory.GetFiles(Path.Combine(root, "lib"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(root, "data", "configs"), "*.json"))
            .Concat(new[] { "CorrKD.Kit.csproj", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "build/pack-local.sh" }
                .Select(f => Path.Combine(root, f)).Where(File.Exists));
        var newestInput = inputs.Select(File.GetLastWriteTimeUtc).Max();
        if (newestPackage >= newestInput) return "fresh";
        var (code, output) = NotebookTests.Run("bash", new[] { Path.Combine(root, "build", "pack-local.sh") }, root,
            new Dictionary<string, string?>(), TimeSpan.FromMinutes(10));
        if (code != 0) throw new InvalidOperationException($"build/pack-local.sh failed (exit {code}):\n{output}");
        return output.Trim();
    }
}
