namespace CorrKD.Experiments;

/// <summary>
/// The reference results committed under results/: the text artefacts (results.csv, metrics.json, history.csv,
/// run.json, config.json, grid.json and the report's tables) of the default `reproduce` (results/reproduce) and of
/// `reproduce --smoke` (results/reproduce-smoke), made by `./kit reproduce --out results/reproduce[-smoke]`
/// (checkpoints, predictions and logs are git-ignored there). `reproduce --check` compares a rerun with them.
/// One set per CPU class that made one (results/NAME@CLASS beside results/NAME; see <see cref="For"/>).
/// </summary>
public static class ReferenceResults
{
    public const string Folder = "results";
    public const string Reproduce = "reproduce", ReproduceSmoke = "reproduce-smoke", Study = "study";

    /// <summary>Environment variable naming the repository root explicitly.</summary>
    public const string RootVariable = "CORRKD_ROOT";
    /// <summary>The file that marks the repository root.</summary>
    public const string RootMarker = "CorrKD.Kit.csproj";

    /// <summary>
    /// The repository root: $CORRKD_ROOT if set, else the nearest folder holding CorrKD.Kit.csproj at or above
    /// <paramref name="start"/> (default: the current directory, then this assembly's folder, bin/CONFIG/net10.0/).
    /// The one finder for the CLI, the notebooks and the tests.
    /// </summary>
    public static string RepoRoot(string? start = null)
    {
        var env = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrEmpty(env))
        {
            if (!File.Exists(Path.Combine(env, RootMarker))) throw new ArgumentException($"{RootVariable}={env}: no {RootMarker} there");
            return Path.GetFullPath(env);
        }
        var starts = start != null ? new[] { Path.GetFullPath(start) } : new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory };
        foreach (var from in starts)
            for (var d = new DirectoryInfo(from); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, RootMarker))) return d.FullName;
        throw new DirectoryNotFoundException(
            $"no {RootMarker} found at or above {starts[0]}: run from inside the repository (notebooks: open them from its notebooks/ folder) or set {RootVariable}");
    }

    public static string PathOf(string name) => Path.Combine(RepoRoot(), Folder, name);

    /// <summary>The file in a reference folder naming the CPU class it was made on (<see cref="KitRuntime.CpuClass"/>) on
    /// its first line, then, one per line, any other class on which a rerun was found bit-identical to it (a line may
    /// end in a "# how it was checked" comment). See <see cref="ClassesOf"/>.</summary>
    public const string CpuClassFile = "CPU-CLASS";

    /// <summary>
    /// The committed reference NAME for a CPU class (default: this machine's): results/NAME@CLASS when it exists, else
    /// results/NAME (the one the README's tables come from). A CPU run's bits depend on the CPU class (see
    /// <see cref="KitRuntime.CpuClass"/>), so each class that has made a reference has its own.
    /// </summary>
    public static (string Dir, string Class) For(string name, string? cpuClass = null)
    {
        cpuClass ??= KitRuntime.CpuClass;
        var own = PathOf($"{name}@{cpuClass}");
        var dir = Directory.Exists(own) ? own : PathOf(name);
        return (dir, ClassesOf(dir).Contains(cpuClass) ? cpuClass : ClassOf(dir));
    }

    /// <summary>The CPU classes whose reruns give a reference folder's bits: the class it was made on
    /// (<see cref="ClassOf"/>) and the further classes its CPU-CLASS file lists as checked identical.</summary>
    public static IReadOnlyList<string> ClassesOf(string dir) => FileClasses(dir) ?? new[] { ClassOf(dir) };

    /// <summary>The classes a folder's CPU-CLASS file lists (comments and blank lines dropped), or null without one.</summary>
    private static IReadOnlyList<string>? FileClasses(string dir)
    {
        var file = Path.Combine(dir, CpuClassFile);
        if (!File.Exists(file)) return null;
        var classes = IO.ListFile.Read(file);
        return classes.Count > 0 ? classes
            : throw new InvalidDataException($"{file}: empty; its first line must name the CPU class the reference was made on");
    }

    /// <summary>The CPU class a reference (or any grid folder) was made on: its CPU-CLASS file's first line, else what its runs'
    /// run.json record (environment.numerics.cpu_class), else "not recorded".</summary>
    public static string ClassOf(string dir)
    {
        if (FileClasses(dir) is { } listed) return listed[0];
        if (!Directory.Exists(dir)) return NotRecorded;
        var classes = Directory.EnumerateFiles(dir, "run.json", SearchOption.AllDirectories).Select(RecordedClass)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return classes.Count == 0 ? NotRecorded : string.Join("+", classes);
    }

    public const string NotRecorded = "not recorded";

    /// <summary>The CPU class a run.json records (environment.numerics.cpu_class), or "not recorded" (older runs).</summary>
    public static string RecordedClass(string runJson) =>
        (string?)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(runJson))?["environment"]?["numerics"]?["cpu_class"] ?? NotRecorded;

    /// <summary>The committed reference for a grid folder: the smoke one when its grid.json is the smoke preset's, else
    /// the default one; of the CPU class the folder's runs were made on (this machine's when they do not say).</summary>
    public static string DefaultFor(string runDir)
    {
        var spec = GridSpec.Read(runDir);
        var name = spec.ToJson() == Presets.Reproduce(smoke: true).ToJson() ? ReproduceSmoke : Reproduce;
        var runClass = ClassOf(runDir);
        var (dir, _) = For(name, runClass.Contains('+') || runClass == NotRecorded ? null : runClass);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"no committed reference at {dir}; give --reference DIR");
        return dir;
    }
}
