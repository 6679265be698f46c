namespace CorrKD.Experiments;

/// <summary>Named grids behind one-command jobs.</summary>
public static class Presets
{
    /// <summary>
    /// The README's main job: teacher + the six student variants (no-kd, kd, corrkd and the paper's three
    /// ablations) over three seeds on the embedded synthetic-mosi, with the paper's MOSI schedule, both protocols.
    /// </summary>
    public static GridSpec Reproduce(bool smoke) => smoke
        ? new GridSpec { Datasets = new[] { "synthetic-mosi-tiny", "synthetic-iemocap-tiny" }, Seeds = new[] { 0, 1 }, Epochs = 6 }
        : new GridSpec { Datasets = new[] { "synthetic-mosi" }, Seeds = new[] { 0, 1, 2 } };
}
