namespace CorrKD.Experiments;

/// <summary>
/// The reference results committed under results/: the text artefacts (results.csv, metrics.json, history.csv,
/// run.json, config.json, grid.json and the report's tables) of the default `reproduce` (results/reproduce) and of
/// `reproduce --smoke` (results/reproduce-smoke), made by `./kit reproduce --out results/reproduce[-smoke]`
/// (checkpoints, predictions and logs are git-ignored there). `reproduce --check` compares a rerun with them.
/// </summary>
public static class ReferenceResults
{
    public const string Folder = "results";
    public const string Reproduce = "reproduce", ReproduceSmoke = "reproduce-smoke", Study = "study";

    /// <summary>The repository root: the nearest folder holding CorrKD.Kit.csproj above the current directory, else
    /// above this assembly (bin/CONFIG/net10.0/).</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "CorrKD.Kit.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException("the CorrKD.Kit repository (CorrKD.Kit.csproj) was not found above the current folder; give --reference DIR");
    }

    public static string PathOf(string name) => Path.Combine(RepoRoot(), Folder, name);

    /// <summary>The committed reference for a grid folder: the smoke one when its grid.json is the smoke preset's, else the default one.</summary>
    public static string DefaultFor(string runDir)
    {
        var spec = GridSpec.Read(runDir);
        var name = spec.ToJson() == Presets.Reproduce(smoke: true).ToJson() ? ReproduceSmoke : Reproduce;
        var dir = PathOf(name);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"no committed reference at {dir}; give --reference DIR");
        return dir;
    }
}
