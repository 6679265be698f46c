namespace CorrKD.Data.Formats;

/// <summary>Loads the data files people actually have, detecting the format from the content.</summary>
public static class DatasetFiles
{
    /// <summary>
    /// Loads an MMSA (aligned_50 / unaligned_50) or MulT (mosi_data / mosei_senti_data / iemocap_data) pickle.
    /// The layout is detected from the keys (regression_labels -> MMSA, labels -> MulT), the task from the labels
    /// ((N, K, 2) one-hot pairs -> emotion, otherwise sentiment). Name: <paramref name="nameOverride"/> or derived
    /// from the file name (see <see cref="NameFromPath"/>); Source: the full path. A .csd (HDF5) file is a single
    /// modality, not a data set: read it with <see cref="CsdReader.Read"/>. Any problem is a DataFormatException.
    /// </summary>
    public static MsaDataset Load(string path, string? nameOverride = null)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new DataFormatException(full, "is a folder; expected a .pkl data file");
        if (!File.Exists(full)) throw new DataFormatException(full, "file not found");
        if (Path.GetExtension(full).Equals(".csd", StringComparison.OrdinalIgnoreCase) || CsdReader.HasHdf5Signature(full))
            throw new DataFormatException(full, "is a CMU-MultimodalSDK .csd (HDF5) file: it holds one modality, not a data set; summarise it with `data inspect FILE.csd`, read it with CsdReader.Read");
        return PickleDatasetReader.Read(full, nameOverride ?? NameFromPath(full));
    }

    /// <summary>
    /// Data set name from the file name: "mosi-aligned_50.pkl" -> "mosi-aligned_50"; "mosi_data.pkl" -> "mosi";
    /// MMSA's own layout ".../MOSI/Processed/aligned_50.pkl" -> "mosi-aligned_50" (the data set folder is prefixed).
    /// </summary>
    public static string NameFromPath(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        if (stem.EndsWith("_data", StringComparison.Ordinal)) stem = stem[..^"_data".Length];
        if (stem is "aligned_50" or "unaligned_50" or "aligned" or "unaligned")
        {
            var dir = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(path))!);
            if (dir.Name.Equals("Processed", StringComparison.OrdinalIgnoreCase) && dir.Parent != null) dir = dir.Parent;
            if (dir.Parent != null) stem = dir.Name.ToLowerInvariant() + "-" + stem;
        }
        return stem;
    }
}
