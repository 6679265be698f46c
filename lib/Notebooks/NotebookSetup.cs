using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace CorrKD.Notebooks;

/// <summary>
/// What every notebook's setup cell calls, so that cell stays one line and no notebook holds an absolute path.
/// </summary>
public static class NotebookSetup
{
    /// <summary>Environment variable that overrides the repository root (e.g. a notebook copied elsewhere).</summary>
    public const string RootVariable = Experiments.ReferenceResults.RootVariable;
    /// <summary>"1" selects the notebooks' smoke settings (tests); unset means full settings.</summary>
    public const string SmokeVariable = "CORRKD_SMOKE";
    /// <summary>The file that marks the repository root.</summary>
    public const string RootMarker = Experiments.ReferenceResults.RootMarker;

    private static int _resolverInstalled;

    /// <summary>
    /// Installs the FSharp.Core resolver fix, preloads the package's libtorch, tunes malloc as the CLI does
    /// (<see cref="Experiments.KitRuntime.ConfigureAllocator"/>) and returns the repository root.
    /// Why the resolver: Plotly.NET 6.0.0 references FSharp.Core 10.1.0.0, the stock .NET Interactive kernel ships 10.0.0.0, and
    /// the first chart would fail with FileNotFoundException. Call it before any cell that touches Plotly.
    /// </summary>
    public static string Init()
    {
        InstallFSharpCoreResolver();
        PreloadTorchNatives();
        Experiments.KitRuntime.ConfigureAllocator();
        return RepoRoot();
    }

    /// <summary>True when CORRKD_SMOKE=1 (the notebook tests set it).</summary>
    public static bool Smoke => Environment.GetEnvironmentVariable(SmokeVariable) == "1";

    /// <summary>
    /// Answers every FSharp.Core load request that fails by version with the FSharp.Core already loaded in the
    /// process (the kernel's own). Idempotent: a second call does nothing.
    /// </summary>
    public static void InstallFSharpCoreResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (_, name) =>
            name.Name == "FSharp.Core" ? LoadedFSharpCore() : null;
    }

    /// <summary>The highest FSharp.Core version loaded in any load context, or null.</summary>
    private static Assembly? LoadedFSharpCore() => AppDomain.CurrentDomain.GetAssemblies()
        .Where(a => a.GetName().Name == "FSharp.Core")
        .OrderByDescending(a => a.GetName().Version)
        .FirstOrDefault();

    /// <summary>
    /// Loads libtorch and LibTorchSharp by full path from the NuGet cache when TorchSharp itself was loaded from the
    /// cache (a notebook after <c>#r "nuget: ..."</c>), before TorchSharp initialises. Returns the folder loaded from,
    /// or null when nothing needed doing (TorchSharp loaded from a build output, or not on Linux).
    /// Why: TorchSharp's first attempt loads "torch_cpu" by bare name; when that is not next to TorchSharp.dll the
    /// system loader searches /usr/lib, where Debian's python3-torch installs libtorch_cpu.so 1.13. The real
    /// LibTorchSharp then fails with "undefined symbol: _ZNK3c105Error4whatEv" and TorchSharp reports a
    /// misleading "doesn't contain a reference to libtorch-cpu-linux-x64". Libraries already loaded are matched by
    /// soname, so loading the right ones first makes TorchSharp's bare-name loads find them.
    /// </summary>
    public static string? PreloadTorchNatives()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var torchSharpDll = typeof(TorchSharp.torch).Assembly.Location;   // typeof does not run torch's static constructor
        if (string.IsNullOrEmpty(torchSharpDll)) return null;
        var asmDir = Path.GetDirectoryName(torchSharpDll)!;
        if (File.Exists(Path.Combine(asmDir, "libLibTorchSharp.so"))) return null;   // build output: natives sit beside it
        // NuGet layout: <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
        var torchSharpPkg = Directory.GetParent(asmDir)?.Parent;
        var packages = torchSharpPkg?.Parent?.Parent;
        if (torchSharpPkg == null || packages == null) return null;
        var libTorchSharp = Path.Combine(torchSharpPkg.FullName, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var libtorchPkg = Path.Combine(packages.FullName, "libtorch-cpu-linux-x64");
        if (!File.Exists(libTorchSharp) || !Directory.Exists(libtorchPkg)) return null;
        // The newest restored libtorch (the kit pins one version, so normally there is exactly one).
        var natives = Directory.GetDirectories(libtorchPkg)
            .Where(d => Version.TryParse(Path.GetFileName(d), out _))
            .OrderByDescending(d => Version.Parse(Path.GetFileName(d)))
            .Select(d => Path.Combine(d, "runtimes", "linux-x64", "native"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        if (natives == null) return null;
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
            NativeLibrary.Load(Path.Combine(natives, lib));
        NativeLibrary.Load(libTorchSharp);
        return natives;
    }

    /// <summary>The repository root (see <see cref="Experiments.ReferenceResults.RepoRoot"/>): from
    /// <paramref name="start"/>, or the current directory, which VS Code, Jupyter and the test runner set to the notebook's folder.</summary>
    public static string RepoRoot(string? start = null) => Experiments.ReferenceResults.RepoRoot(start);

    /// <summary>
    /// Where a notebook writes a run: a fresh temporary folder in smoke mode (tests leave nothing behind), else a new
    /// runs/notebook-NAME-TIMESTAMP folder under the repository root (never an existing one).
    /// </summary>
    public static string OutputFolder(string name, bool smoke)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var path = smoke
            ? Path.Combine(Path.GetTempPath(), $"corrkd-smoke-{name}-{Guid.NewGuid():N}")
            : Path.Combine(RepoRoot(), "runs", $"notebook-{name}-{stamp}");
        for (int k = 2; Directory.Exists(path); k++) path = Path.Combine(RepoRoot(), "runs", $"notebook-{name}-{stamp}-{k}");
        return path;
    }

    /// <summary>A path under the repository root, e.g. Path("data", "fixtures").</summary>
    public static string InRepo(params string[] parts) => Path.Combine(new[] { RepoRoot() }.Concat(parts).ToArray());
}
