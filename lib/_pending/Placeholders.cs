// TEMPORARY: replaced by helper branches at merge.
namespace CorrKD.Data.Formats { public static class DatasetFiles { public static CorrKD.Data.MsaDataset Load(string path, string? nameOverride = null) => throw new NotImplementedException(); } 
  public static class MmsaPickleWriter { public static void Write(CorrKD.Data.MsaDataset ds, string path) => throw new NotImplementedException(); } }
