using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using CorrKD.Data;
using CorrKD.Model;

namespace CorrKD.Training;

/// <summary>
/// Everything a run needs besides the data: model, teacher and student optimisation, distillation and
/// missing-modality options. One JSON per dataset family lives in data/configs (embedded in the library);
/// `--config FILE` replaces it and command-line flags override single fields.
/// </summary>
public sealed record KitConfig
{
    /// <summary>mosi, mosei or iemocap: selects heads and the per-dataset schedule.</summary>
    public string Family { get; init; } = "mosi";
    /// <summary>OPEN: classes for sentiment data (2 = neg/pos; 3 adds neutral so RCD's non-target part is live; 7).</summary>
    public int SentimentClasses { get; init; } = 2;
    public ModelOptions Model { get; init; } = new();
    public TrainOptions Teacher { get; init; } = new();
    public TrainOptions Student { get; init; } = new();
    public Distillation.DistillationOptions Distillation { get; init; } = new();
    public Data.Missing.RandomMissingOptions Missing { get; init; } = new();
    /// <summary>Input features: OPEN (the kit's) per-modality standardisation with training statistics, default off.</summary>
    public FeatureOptions Features { get; init; } = new();
    /// <summary>Seed of the fixed evaluation masks (intra-modality protocol, student validation).</summary>
    public long MaskSeed { get; init; } = 20240417;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static IReadOnlyList<string> Families => new[] { "mosi", "mosei", "iemocap" };

    /// <summary>The family a data set name belongs to (by name; "synthetic-mosi" -> mosi).</summary>
    public static string FamilyOf(string datasetName)
    {
        var n = datasetName.ToLowerInvariant();
        return n.Contains("iemocap") ? "iemocap" : n.Contains("mosei") ? "mosei" : "mosi";
    }

    /// <summary>The embedded default config of a family.</summary>
    public static KitConfig Default(string family)
    {
        if (!Families.Contains(family)) throw new ArgumentException($"unknown config family '{family}': expected one of {string.Join(", ", Families)}");
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream($"configs/{family}.json")
            ?? throw new InvalidOperationException($"embedded config configs/{family}.json missing from the build");
        return Parse(new StreamReader(s).ReadToEnd(), $"configs/{family}.json");
    }

    public static KitConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static KitConfig Parse(string json, string source)
    {
        KitConfig cfg;
        try { cfg = JsonSerializer.Deserialize<KitConfig>(json, Json) ?? throw new JsonException("empty document"); }
        catch (JsonException e) { throw new ArgumentException($"{source}: invalid config: {e.Message}", e); }
        cfg.Validate(source);
        return cfg;
    }

    public void Validate(string source)
    {
        try
        {
            if (!Families.Contains(Family)) throw new ArgumentException($"family must be one of {string.Join(", ", Families)}, got '{Family}'");
            if (SentimentClasses is not (2 or 3 or 7)) throw new ArgumentException($"sentiment_classes must be 2, 3 or 7, got {SentimentClasses}");
            Model.Validate(); Teacher.Validate("teacher"); Student.Validate("student");
        }
        catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Model options for a run, with that run's dropout override applied.</summary>
    public ModelOptions ModelFor(TrainOptions run) => run.Dropout is double p
        ? Model with { EmbedDropout = p, AttentionDropout = p, ResidualDropout = p }
        : Model;
}
