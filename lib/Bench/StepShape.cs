using CorrKD.Training;

namespace CorrKD.Bench;

/// <summary>
/// The input and model shape of one benchmarked training step: a dataset config's batch size, heads, classes,
/// learning rate and clip, with random inputs of its sequence length and feature dims (d = 40, 2 layers from
/// the config's model section).
/// </summary>
public sealed record StepShape(string Name, string Family, int Batch, int SeqLen, int[] Dims, int Classes)
{
    /// <summary>The model's <see cref="CorrKD.Model.ModelOptions.Attention"/> (bench --attention); null: the config's.</summary>
    public string? Attention { get; init; }

    public KitConfig Config
    {
        get
        {
            var cfg = KitConfig.Default(Family);
            return Attention is null ? cfg : cfg with { Model = cfg.Model with { Attention = Attention } };
        }
    }
    public int Heads => Config.Model.Heads;
    public double LearningRate => Config.Student.LearningRate;
    public double ClipGrad => Config.Student.ClipGrad;

    /// <summary>mosi (MulT-style 300/5/20), mosi-mmsa (768/5/20), mosei (768/74/35), iemocap (T = 20, 300/74/35, K = 4).</summary>
    public static IReadOnlyList<StepShape> All { get; } = new[]
    {
        new StepShape("mosi", "mosi", KitConfig.Default("mosi").Student.BatchSize, 50, new[] { 300, 5, 20 }, 2),
        new StepShape("mosi-mmsa", "mosi", KitConfig.Default("mosi").Student.BatchSize, 50, new[] { 768, 5, 20 }, 2),
        new StepShape("mosei", "mosei", KitConfig.Default("mosei").Student.BatchSize, 50, new[] { 768, 74, 35 }, 2),
        new StepShape("iemocap", "iemocap", KitConfig.Default("iemocap").Student.BatchSize, 20, new[] { 300, 74, 35 }, 4),
    };

    public static StepShape Named(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown bench shape '{name}': expected one of {string.Join(", ", All.Select(s => s.Name))}");

    public override string ToString() => $"{Name}: batch {Batch}, T {SeqLen}, dims {string.Join("/", Dims)}, heads {Heads}, K {Classes}, attention {Config.Model.Attention}";
}
