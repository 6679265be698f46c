using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace CorrKD.Tests.Notebooks;

/// <summary>
/// Every notebook runs, headless, in smoke mode, and every committed notebook is clean (no outputs) and in VS Code's
/// Polyglot format. The runner (tests/NotebookRunner, built with this project) executes one notebook per process
/// and fails on any compiler diagnostic; the kit comes from the local feed, which the build of CorrKD.Kit.csproj
/// keeps current (build/LocalFeed.targets) and each notebook's first cell (load-kit.csx) checks.
/// </summary>
public class NotebookTests
{
    public static readonly string Root = FindRoot();
    public static readonly string NotebookDir = Path.Combine(Root, "notebooks");
    /// <summary>Longest code cell a notebook may hold.</summary>
    public const int MaxCodeCellLines = 12;

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

        // The common opening: feed check, package reference, setup, parameters with the smoke switch.
        string Source(JsonNode c) => c["source"] is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)c["source"] ?? "";
        Assert.True(code.Count >= 4, $"{notebook}: expected at least the four opening code cells");
        Assert.Equal("#load \"load-kit.csx\"", Source(code[0]).Trim());
        Assert.Contains("#r \"nuget: CorrKD.Kit, *-*\"", Source(code[1]));
        Assert.Contains("NotebookSetup.Init()", Source(code[2]));
        Assert.Contains("Environment.GetEnvironmentVariable(\"CORRKD_SMOKE\") == \"1\"", Source(code[3]));
        // Short cells: logic that needs more lines belongs in lib/Notebooks.
        foreach (var c in code)
        {
            int lines = Source(c).TrimEnd().Split('\n').Length;
            Assert.True(lines <= MaxCodeCellLines, $"{notebook}: cell {(string?)c["id"]} has {lines} lines (at most {MaxCodeCellLines}); move the logic into lib/Notebooks");
        }
        foreach (var c in code)
            foreach (var bad in new[] { "/root/", "/home/", "/work/", "/tmp/", ":\\" })
                Assert.False(Source(c).Contains(bad), $"{notebook}: cell {(string?)c["id"]} holds an absolute path ('{bad}')");
    }

    /// <summary>The runner's build output (built as a project reference of this test project, same configuration).</summary>
    internal static string RunnerDll()
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
/// The first open after a clone: the build alone fills notebooks/.feed, and the notebook then loads the kit from it.
/// </summary>
public class FirstOpenTests
{
    /// <summary>
    /// The build of this test run (CorrKD.Kit.csproj is a project reference) left a package in the feed whose stamp is
    /// not older than any input of the kit: build/LocalFeed.targets ran. Fails if the target is removed or skipped.
    /// </summary>
    [Fact]
    public void BuildLeavesTheFeedCurrent()
    {
        var feed = Path.Combine(NotebookTests.Root, "notebooks", ".feed");
        Assert.NotEmpty(Directory.GetFiles(feed, "CorrKD.Kit.*.nupkg"));
        var stamp = Path.Combine(feed, ".packed");
        Assert.True(File.Exists(stamp), "notebooks/.feed/.packed missing: the build did not pack the kit");
        var newest = KitInputs(NotebookTests.Root).Max(File.GetLastWriteTimeUtc);
        Assert.True(File.GetLastWriteTimeUtc(stamp) >= newest, $"notebooks/.feed is older than the kit's sources ({File.GetLastWriteTimeUtc(stamp):O} < {newest:O})");
    }

    /// <summary>
    /// A copy of the checkout as git would clone it (tracked and new, not ignored files: no feed package, no bin/obj),
    /// then only a plain `dotnet build -c Release CorrKD.Kit.csproj`, then notebook 01's opening cells with the runner.
    /// The packed version is new, so NuGet must take it from the clone's feed (no cached copy can exist).
    /// </summary>
    [Fact]
    public void FreshCloneBuildThenNotebookOpens()
    {
        var root = NotebookTests.Root;
        var clone = Directory.CreateTempSubdirectory("corrkd-fresh-clone-").FullName;
        try
        {
            var (lsCode, files) = NotebookTests.Run("git", new[] { "-C", root, "ls-files", "--cached", "--others", "--exclude-standard" }, root,
                new Dictionary<string, string?>(), TimeSpan.FromMinutes(1));
            Assert.True(lsCode == 0, files);
            foreach (var f in files.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var from = Path.Combine(root, f);
                if (!File.Exists(from)) continue;   // deleted in the work tree
                var to = Path.Combine(clone, f);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to);
            }
            Assert.Empty(Directory.GetFiles(Path.Combine(clone, "notebooks", ".feed"), "*.nupkg"));

            var (buildCode, buildLog) = NotebookTests.Run("dotnet", new[] { "build", "-c", "Release", "-nologo", "-v", "q", "CorrKD.Kit.csproj" }, clone,
                new Dictionary<string, string?>(), TimeSpan.FromMinutes(8));
            Assert.True(buildCode == 0, $"plain build of the clone failed:\n{buildLog}");
            var package = Assert.Single(Directory.GetFiles(Path.Combine(clone, "notebooks", ".feed"), "CorrKD.Kit.*.nupkg"));

            var notebook = Path.Combine(clone, "notebooks", "01-data-preparation.ipynb");
            var executed = Path.Combine(clone, "01-opening.ipynb");
            var (code, output) = NotebookTests.Run("dotnet", new[] { NotebookTests.RunnerDll(), notebook, "--cells", "4", "--output", executed },
                Path.Combine(clone, "notebooks"), new Dictionary<string, string?> { ["CORRKD_SMOKE"] = "1" }, TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"notebook 01's opening cells failed in the fresh clone (runner exit {code}):\n{output}");
            var version = Path.GetFileNameWithoutExtension(package)["CorrKD.Kit.".Length..];
            Assert.Contains($"CorrKD.Kit {version} in notebooks/.feed is current with lib/.", File.ReadAllText(executed));
        }
        finally
        {
            try { Directory.Delete(clone, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The files whose change makes the feed stale (as build/LocalFeed.targets and notebooks/load-kit.csx define them).</summary>
    internal static IEnumerable<string> KitInputs(string root) =>
        Directory.GetFiles(Path.Combine(root, "lib"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(root, "data", "configs"), "*.json"))
            .Concat(Directory.GetFiles(Path.Combine(root, "build"), "*.targets"))
            .Concat(new[] { "CorrKD.Kit.csproj", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" }
                .Select(f => Path.Combine(root, f)).Where(File.Exists));
}
