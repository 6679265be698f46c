namespace CorrKD.Training;

/// <summary>
/// Optimisation settings of one training run (teacher or student). Defaults are HRLF's published MOSI values
/// (CorrKD's own are not public); the per-dataset JSON in data/configs overrides them.
/// </summary>
public sealed record TrainOptions
{
    public double LearningRate { get; init; } = 1e-3;
    public int BatchSize { get; init; } = 128;
    public int Epochs { get; init; } = 50;
    /// <summary>Max global gradient norm (MulT: 0.8 MOSI/IEMOCAP, 1.0 MOSEI); 0 disables clipping.</summary>
    public double ClipGrad { get; init; } = 0.8;
    /// <summary>Adam weight decay (L2), 0 = none.</summary>
    public double WeightDecay { get; init; } = 0.0;
    /// <summary>ReduceLROnPlateau on the validation loss: epochs without improvement before lr *= factor.</summary>
    public int PlateauPatience { get; init; } = 20;
    public double PlateauFactor { get; init; } = 0.1;
    /// <summary>Stop after this many epochs without a new best validation score; 0 = never stop early.</summary>
    public int EarlyStopPatience { get; init; } = 0;
    /// <summary>Model selection on the validation split: "loss" (lowest loss, MulT's rule) or "metric" (highest headline).</summary>
    public string Selection { get; init; } = "loss";
    /// <summary>Overrides the model's three dropout rates for this run when set (a teacher-strength lever).</summary>
    public double? Dropout { get; init; }
    /// <summary>
    /// Inference batch. 128, not larger: at 512 the attention tensors pass glibc's mmap threshold, every op then
    /// maps fresh pages, and one evaluation pass was 3-9x slower on the build machines.
    /// </summary>
    public int EvalBatchSize { get; init; } = 128;

    public void Validate(string who)
    {
        if (LearningRate <= 0) throw new ArgumentException($"{who}: learning_rate must be > 0, got {LearningRate}");
        if (BatchSize <= 0) throw new ArgumentException($"{who}: batch_size must be > 0, got {BatchSize}");
        if (Epochs <= 0) throw new ArgumentException($"{who}: epochs must be > 0, got {Epochs}");
        if (Selection is not ("loss" or "metric")) throw new ArgumentException($"{who}: selection must be 'loss' or 'metric', got '{Selection}'");
        if (PlateauFactor <= 0 || PlateauFactor >= 1) throw new ArgumentException($"{who}: plateau_factor must be in (0, 1), got {PlateauFactor}");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"{who}: dropout must be in [0, 1), got {Dropout}");
    }
}
