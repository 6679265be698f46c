using System.Text.Json;
using System.Text.Json.Nodes;
using CorrKD.Training;

namespace CorrKD.Experiments;

/// <summary>
/// A named change to the per-family config, as a JSON merge patch (RFC 7386): e.g. {"distillation": {"tau": 2}}.
/// Settings make OPEN choices and teacher options sweepable without code. Variants: which students to train
/// under this setting (null = the grid's variants).
/// </summary>
public sealed record GridSetting(string Name, JsonObject Patch, string[]? Variants = null)
{
    public static readonly GridSetting Default = new("default", new JsonObject());
}

/// <summary>
/// An experiment grid: data sets x data seeds x seeds x settings x variants. Every (setting, data set, data seed,
/// seed) group trains its own teacher, whose students of that group share it (a paired design: variants differ
/// only in their distillation terms). Serialised to grid.json so a rerun or another shard sees the same grid.
/// </summary>
public sealed record GridSpec
{
    public string[] Datasets { get; init; } = { "synthetic-mosi" };
    public int[] DataSeeds { get; init; } = { 0 };
    public int[] Seeds { get; init; } = { 0, 1, 2 };
    public string[] Variants { get; init; } = { "no-kd", "kd", "corrkd", "wo-scd", "wo-cpd", "rcd-kl" };
    public GridSetting[] Settings { get; init; } = { GridSetting.Default };
    /// <summary>Overrides teacher and student epochs (smoke runs); null keeps the config's schedule.</summary>
    public int? Epochs { get; init; }
    public bool EvaluateIntra { get; init; } = true;

    public static readonly JsonSerializerOptions Json = new(KitConfig.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    /// <summary>The same grid with <paramref name="patch"/> merged into every setting's patch (e.g. --standardize:
    /// {"features": {"standardize": true}}); recorded in grid.json through the settings.</summary>
    public GridSpec WithPatch(JsonObject patch) =>
        this with { Settings = Settings.Select(s => s with { Patch = MergePatch(s.Patch, patch) }).ToArray() };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    /// <summary>The grid.json of a grid folder, with an error naming the folder when there is none.</summary>
    public static GridSpec Read(string gridDir)
    {
        var f = Path.Combine(gridDir, "grid.json");
        if (!File.Exists(f)) throw new FileNotFoundException($"{f} not found: {gridDir} is not a grid folder", f);
        return Parse(File.ReadAllText(f), f);
    }

    public static GridSpec Parse(string json, string source)
    {
        try { return JsonSerializer.Deserialize<GridSpec>(json, Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid grid spec: {e.Message}", e); }
    }

    /// <summary>The config of one setting on one data set: the family default with the setting's patch merged in.</summary>
    public static KitConfig ConfigFor(GridSetting s, string datasetName)
    {
        var baseJson = JsonNode.Parse(KitConfig.Default(KitConfig.FamilyOf(datasetName)).ToJson())!.AsObject();
        return KitConfig.Parse(MergePatch(baseJson, s.Patch).ToJsonString(), $"setting '{s.Name}'");
    }

    /// <summary>RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.</summary>
    public static JsonObject MergePatch(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        foreach (var (k, v) in patch)
        {
            if (v is null) result.Remove(k);
            else if (v is JsonObject po && result[k] is JsonObject to) result[k] = MergePatch(to, po);
            else result[k] = v.DeepClone();
        }
        return result;
    }

    /// <summary>One teacher and its students: the unit of work a shard takes.</summary>
    public sealed record Group(GridSetting Setting, string Dataset, int DataSeed, int Seed)
    {
        public string Key => $"{Setting.Name}/{SafeName(Dataset)}@{DataSeed}/s{Seed}";
    }

    /// <summary>Every (setting, data set, data seed, seed). Data seeds only draw new synthetic sets: a data set given
    /// by path is the same file whatever the data seed, so it takes the first data seed only (no duplicate runs).</summary>
    public IReadOnlyList<Group> Groups() =>
        (from s in Settings from d in Datasets
         from ds in Data.DatasetRegistry.IsSynthetic(d) ? DataSeeds : DataSeeds.Take(1)
         from seed in Seeds select new Group(s, d, ds, seed)).ToList();

    public static string SafeName(string dataset) =>
        new(Path.GetFileNameWithoutExtension(dataset).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
