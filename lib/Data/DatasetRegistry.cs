using CorrKD.Data.Formats;
using CorrKD.Data.Synthetic;

namespace CorrKD.Data;

/// <summary>
/// One way to name a data set everywhere (CLI, notebooks, run folders): an existing file path (MMSA or MulT
/// pickle, CMU-MultimodalSDK .csd folder) or the name of an embedded synthetic set.
/// </summary>
public static class DatasetRegistry
{
    public static MsaDataset Load(string nameOrPath, int dataSeed = 0)
    {
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath)) return DatasetFiles.Load(nameOrPath);
        if (SyntheticCatalog.IsKnown(nameOrPath)) return SyntheticCatalog.Generate(nameOrPath, dataSeed);
        bool looksLikePath = nameOrPath.Contains('/') || nameOrPath.Contains('\\') || Path.HasExtension(nameOrPath);
        throw new DataFormatException(nameOrPath, looksLikePath
            ? "file not found"
            : $"unknown data set name; embedded sets are {string.Join(", ", SyntheticCatalog.Names)}, or give a path to an MMSA/MulT pickle");
    }

    /// <summary>True when the name refers to an embedded synthetic set (data seeds apply only to those).</summary>
    public static bool IsSynthetic(string nameOrPath) => !File.Exists(nameOrPath) && SyntheticCatalog.IsKnown(nameOrPath);
}
