namespace CorrKD.Data.Synthetic;

/// <summary>
/// Embedded synthetic benchmarks: generated on the fly, no download, "same seed, same bytes" on every machine
/// and .NET version. The generative model and every knob are documented in data/README.md ("Synthetic data").
/// </summary>
public static class SyntheticCatalog
{
    private static readonly Dictionary<string, SyntheticOptions> Known = new(StringComparer.Ordinal)
    {
        ["synthetic-mosi"] = Presets.Mosi,
        ["synthetic-mosi-tiny"] = Presets.MosiTiny,
        ["synthetic-iemocap"] = Presets.Iemocap,
        ["synthetic-iemocap-tiny"] = Presets.IemocapTiny,
    };

    /// <summary>synthetic-mosi, synthetic-mosi-tiny, synthetic-iemocap, synthetic-iemocap-tiny.</summary>
    public static IReadOnlyList<string> Names { get; } = Known.Keys.ToArray();

    public static bool IsKnown(string name) => Known.ContainsKey(name);

    /// <summary>The preset options of a named benchmark; change knobs with <c>Options(name) with { ... }</c> and pass them to Generate.</summary>
    public static SyntheticOptions Options(string name) =>
        Known.TryGetValue(name, out var o) ? o
            : throw new ArgumentException($"unknown synthetic data set '{name}': known names are {string.Join(", ", Names)}", nameof(name));

    /// <summary>
    /// Generates a named benchmark. <paramref name="overrides"/> replaces the preset entirely (build it from
    /// <see cref="Options"/>); Source is "synthetic:NAME:seed", with ":custom" appended when overrides differ from the preset.
    /// </summary>
    public static MsaDataset Generate(string name, int dataSeed = 0, SyntheticOptions? overrides = null) =>
        GenerateWithTruth(name, dataSeed, overrides).Data;

    /// <summary>Like <see cref="Generate"/>, plus the hidden factors (latent sentiment, speaker, sarcasm/masking) per sample.</summary>
    public static (MsaDataset Data, SyntheticTruth Truth) GenerateWithTruth(string name, int dataSeed = 0, SyntheticOptions? overrides = null)
    {
        var preset = Options(name);
        var o = overrides ?? preset;
        var source = $"synthetic:{name}:{dataSeed}" + (o.Equals(preset) ? "" : ":custom");
        return SyntheticGenerator.Generate(name, source, o, dataSeed);
    }
}
