namespace CorrKD.Model;

/// <summary>
/// Backbone hyper-parameters. Teacher and student share the architecture (separate weights).
/// Defaults follow CORRKD-SPEC.md; every choice the paper leaves OPEN is marked so here and nowhere else.
/// </summary>
public sealed record ModelOptions
{
    /// <summary>Width d of every modality encoder (paper: 40).</summary>
    public int HiddenDim { get; init; } = 40;
    /// <summary>Attention heads (MOSI 10, MOSEI 8, IEMOCAP 10); must divide HiddenDim.</summary>
    public int Heads { get; init; } = 10;
    /// <summary>OPEN: Transformer layers per modality encoder (paper does not say; 2 here).</summary>
    public int Layers { get; init; } = 2;
    /// <summary>OPEN: temporal Conv1d kernel (HRLF's text: 3; MulT: 1).</summary>
    public int ConvKernel { get; init; } = 3;
    /// <summary>Dropout on the embedded input (after positions).</summary>
    public double EmbedDropout { get; init; } = 0.1;
    /// <summary>Dropout on attention weights.</summary>
    public double AttentionDropout { get; init; } = 0.1;
    /// <summary>Dropout on residual branches (attention and FFN outputs) and in the classifier.</summary>
    public double ResidualDropout { get; init; } = 0.1;
    /// <summary>
    /// OPEN: how the three encoded sequences become h. "time": concatenate along time, average over all frames -> d.
    /// "features": average each over time, concatenate -> 3d.
    /// </summary>
    public string Fusion { get; init; } = "time";
    /// <summary>
    /// How attention is computed: "kernel", the C# kernel of <see cref="NarrowHeadAttention"/> (the shipped configs'
    /// choice; CPU float32 within its size limits, else the ops run), or "ops" (also: not set), the same math in libtorch ops
    /// (<see cref="NarrowHeadAttention.Reference"/>).
    /// Same math, different rounding, so the choice is part of a run's config. Not set is what every config written
    /// before the kernel existed means, and it is left out of the JSON, so those configs, their runs and grids (and
    /// their teachers' folder names) are unchanged: they resume and rebuild bit for bit.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Attention { get; init; }

    /// <summary>Whether <see cref="Attention"/> selects the C# kernel.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool AttentionKernel => Attention == "kernel";

    public int JointDim => Fusion == "features" ? 3 * HiddenDim : HiddenDim;

    public void Validate()
    {
        if (HiddenDim <= 0 || Heads <= 0 || HiddenDim % Heads != 0)
            throw new ArgumentException($"model: hidden_dim {HiddenDim} must be a positive multiple of heads {Heads}");
        if (Layers < 0) throw new ArgumentException($"model: layers must be >= 0, got {Layers}");
        if (ConvKernel < 1 || ConvKernel % 2 == 0) throw new ArgumentException($"model: conv_kernel must be odd and >= 1, got {ConvKernel}");
        if (Fusion is not ("time" or "features")) throw new ArgumentException($"model: fusion must be 'time' or 'features', got '{Fusion}'");
        if (Attention is not (null or "kernel" or "ops")) throw new ArgumentException($"model: attention must be 'kernel' or 'ops', got '{Attention}'");
        foreach (var (n, p) in new[] { ("embed_dropout", EmbedDropout), ("attention_dropout", AttentionDropout), ("residual_dropout", ResidualDropout) })
            if (p < 0 || p >= 1) throw new ArgumentException($"model: {n} must be in [0, 1), got {p}");
    }
}
