using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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

    /// <summary>Families (mosi, mosei, iemocap) the setting applies to; null = every data set of the grid
    /// (e.g. a K=3 setting makes sense for the sentiment families only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string[]? Families { get; init; }

    /// <summary>Only the first N (seed, data seed) pairs of the grid, in <see cref="GridSpec.Pairs"/> order; null = all
    /// (sensitivity settings may keep fewer pairs than the core contrasts).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxPairs { get; init; }

    /// <summary>The setting this one is compared with (null = "default"): when it trains no no-kd, the setting whose no-kd
    /// is its paired baseline (a K=3 stronger-teacher setting compares with the K=3 no-kd); when it trains its own, the
    /// setting whose gains over no-kd its gains are set against (K=3 under the headline selection against K=2 under it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Baseline { get; init; }
}

/// <summary>
/// A study's precision rule: a core setting takes no new (seed, data seed) pair on a data set once every paired
/// interval of its own contrasts is at most ±<see cref="HalfWidth"/> points over at least <see cref="MinPairs"/> pairs
/// (<see cref="Study.PrecisionOf"/> says which contrasts). It stops on the width of the intervals, never on their
/// position, so it spends the grid's pairs where the spread is large without choosing an answer.
/// </summary>
public sealed record StopRule(double HalfWidth, int MinPairs);

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
    /// <summary>The precision rule (studies); null trains every group. It changes no run, only which groups are left
    /// out, so a grid folder may gain or change it (<see cref="Extends"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StopRule? Stop { get; init; }

    public static readonly JsonSerializerOptions Json = new(KitConfig.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    /// <summary>The same grid with <paramref name="patch"/> merged into every setting's patch (e.g. --standardize:
    /// {"features": {"standardize": true}}); recorded in grid.json through the settings.</summary>
    public GridSpec WithPatch(JsonObject patch) =>
        this with { Settings = Settings.Select(s => s with { Patch = MergePatch(s.Patch, patch) }).ToArray() };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The grid a command continues in <paramref name="dir"/>: a folder being resumed keeps its own grid, so
    /// `--resume DIR` with no option that shapes a grid (seeds, datasets, ...) continues what DIR's grid.json says,
    /// whatever options started it; with such options (<paramref name="shaped"/>) it is the grid they describe, which
    /// must equal or extend the stored one (<see cref="GridRunner.Prepare"/>).</summary>
    public static GridSpec ForResume(string? dir, GridSpec described, bool shaped) =>
        dir != null && !shaped && File.Exists(Path.Combine(dir, "grid.json")) ? Read(dir) : described;

    /// <summary>The grid.json of a grid folder, with an error naming the folder when there is none.</summary>
    public static GridSpec Read(string gridDir)
    {
        var f = Path.Combine(gridDir, "grid.json");
        if (!File.Exists(f)) throw new FileNotFoundException($"{f} not found: {gridDir} is not a grid folder", f);
        return Parse(File.ReadAllText(f), f);
    }

    public static GridSpec Parse(string json, string source)
    {
        GridSpec spec;
        try { spec = JsonSerializer.Deserialize<GridSpec>(json, Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid grid spec: {e.Message}", e); }
        if (spec.Stop is { } r && (!(r.HalfWidth > 0) || r.MinPairs < 2))
            throw new ArgumentException($"{source}: invalid grid spec: stop needs half_width > 0 and min_pairs >= 2 (an interval needs 2 pairs), " +
                                        $"got half_width {r.HalfWidth.ToString(System.Globalization.CultureInfo.InvariantCulture)} and min_pairs {r.MinPairs}");
        return spec;
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

    /// <summary>The (seed, data seed) pairs in the order grids train them: seed-major, so the first pairs already
    /// span every data seed and a grid stopped early holds whole pairs over all of them.</summary>
    public IReadOnlyList<(int Seed, int DataSeed)> Pairs() =>
        (from seed in Seeds from ds in DataSeeds select (seed, ds)).ToList();

    /// <summary>Every (setting, data set, data seed, seed), pair by pair (<see cref="Pairs"/>), settings in order
    /// within a pair. Data seeds only draw new synthetic sets: a data set given by path is the same file whatever the
    /// data seed, so it takes the first data seed only (no duplicate runs). A setting's <see cref="GridSetting.Families"/>
    /// and <see cref="GridSetting.MaxPairs"/> leave out the groups outside them.</summary>
    public IReadOnlyList<Group> Groups()
    {
        var pairs = Pairs();
        var groups = new List<(int Pair, int Setting, int Dataset, Group Group)>();
        for (int si = 0; si < Settings.Length; si++)
            for (int di = 0; di < Datasets.Length; di++)
            {
                var (s, d) = (Settings[si], Datasets[di]);
                if (s.Families is { } f && !f.Contains(KitConfig.FamilyOf(d))) continue;
                var own = Enumerable.Range(0, pairs.Count)
                    .Where(i => Data.DatasetRegistry.IsSynthetic(d) || pairs[i].DataSeed == DataSeeds[0])
                    .Take(s.MaxPairs ?? int.MaxValue);   // the data set's own first pairs
                groups.AddRange(own.Select(i => (i, si, di, new Group(s, d, pairs[i].DataSeed, pairs[i].Seed))));
            }
        return groups.OrderBy(g => g.Pair).ThenBy(g => g.Setting).ThenBy(g => g.Dataset).Select(g => g.Group).ToList();
    }

    /// <summary>
    /// Whether this grid only adds to <paramref name="earlier"/>: the same data sets, variants, epochs and evaluation,
    /// every earlier setting unchanged and in place (or given more pairs), seeds extended at the end, new settings
    /// appended, the same data seeds (more data seeds would reorder the pairs that <see cref="GridSetting.MaxPairs"/> counts);
    /// the precision rule (<see cref="Stop"/>) may be anything. Then every finished run of the earlier grid is a run of this one, so a folder can grow into it (more pairs
    /// for a study, a new setting) without retraining anything.
    /// </summary>
    public bool Extends(GridSpec earlier)
    {
        static bool Prefix<T>(T[] a, T[] b) => a.Length <= b.Length && a.SequenceEqual(b.Take(a.Length));
        static string J(GridSetting s) => JsonSerializer.Serialize(s with { MaxPairs = null }, Json);
        bool SameOrMorePairs(GridSetting old, GridSetting now) => (now.MaxPairs ?? int.MaxValue) >= (old.MaxPairs ?? int.MaxValue);
        return Datasets.SequenceEqual(earlier.Datasets) && Variants.SequenceEqual(earlier.Variants) && Epochs == earlier.Epochs
               && EvaluateIntra == earlier.EvaluateIntra && Prefix(earlier.Seeds, Seeds) && DataSeeds.SequenceEqual(earlier.DataSeeds)
               && earlier.Settings.Length <= Settings.Length
               && earlier.Settings.Zip(Settings).All(p => J(p.First) == J(p.Second) && SameOrMorePairs(p.First, p.Second));
    }

    public static string SafeName(string dataset) =>
        new(Path.GetFileNameWithoutExtension(dataset).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
