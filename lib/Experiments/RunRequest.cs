namespace CorrKD.Experiments;

/// <summary>What a training command was asked to do. Null fields fall back to the run's config.</summary>
public sealed record RunRequest
{
    /// <summary>Data set name or path (teacher runs; students inherit the teacher's).</summary>
    public string Dataset { get; init; } = "synthetic-mosi";
    /// <summary>Seed of the synthetic generator (ignored for files).</summary>
    public int DataSeed { get; init; }
    /// <summary>Training seed: weights init, batch order, dropout, random-missing masks.</summary>
    public int Seed { get; init; }
    public string Device { get; init; } = "auto";
    public int Threads { get; init; }
    /// <summary>A config JSON replacing the embedded per-family default.</summary>
    public string? ConfigPath { get; init; }
    public int? Epochs { get; init; }
    /// <summary>Overrides the config's features.standardize (null keeps it). A student must match its teacher.</summary>
    public bool? Standardize { get; init; }
    /// <summary>New run folder; null picks runs/KIND-DATASET-TIMESTAMP.</summary>
    public string? Out { get; init; }
    /// <summary>Existing run folder to continue from its last checkpoint.</summary>
    public string? Resume { get; init; }
    /// <summary>Student only: the variant (corrkd, wo-scd, wo-cpd, rcd-kl, no-kd, kd).</summary>
    public string Variant { get; init; } = "corrkd";
    /// <summary>Student only: the teacher's run folder.</summary>
    public string? TeacherRun { get; init; }
    /// <summary>Evaluate under the intra-modality protocol too (11 rates) after training.</summary>
    public bool EvaluateIntra { get; init; } = true;
}
