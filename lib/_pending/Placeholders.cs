// TEMPORARY: replaced by helper branches at merge.
namespace CorrKD.Data.Missing { public sealed record RandomMissingOptions { } }
namespace CorrKD.Data.Missing { public static class MissingModality { public static TorchSharp.torch.Tensor[] DropFrames(TorchSharp.torch.Tensor[] mods, long seed, string split, long[] sampleIndex, double rate, IReadOnlyList<CorrKD.Data.Modality>? which = null) => throw new NotImplementedException(); } }
namespace CorrKD.Data.Synthetic { public static class SyntheticCatalog { public static IReadOnlyList<string> Names => new string[0]; public static bool IsKnown(string n) => false; public static CorrKD.Data.MsaDataset Generate(string name, int dataSeed = 0) => throw new NotImplementedException(); } }
namespace CorrKD.Data.Formats { public static class DatasetFiles { public static CorrKD.Data.MsaDataset Load(string path, string? nameOverride = null) => throw new NotImplementedException(); } 
  public static class MmsaPickleWriter { public static void Write(CorrKD.Data.MsaDataset ds, string path) => throw new NotImplementedException(); } }
namespace CorrKD.Data.Missing { public sealed class RandomMissingSampler { public RandomMissingSampler(RandomMissingOptions o) {} public TorchSharp.torch.Tensor[] Apply(TorchSharp.torch.Tensor[] mods, TorchSharp.torch.Generator g) => throw new NotImplementedException(); } }
