// TEMPORARY: replaced by helper branches at merge.
namespace CorrKD.Distillation { public sealed record DistillationOptions { } }
namespace CorrKD.Data.Missing { public sealed record RandomMissingOptions { } }
namespace CorrKD.Data.Missing { public static class MissingModality { public static TorchSharp.torch.Tensor[] DropFrames(TorchSharp.torch.Tensor[] mods, long seed, string split, long[] sampleIndex, double rate, IReadOnlyList<CorrKD.Data.Modality>? which = null) => throw new NotImplementedException(); } }
namespace CorrKD.Evaluation.Metrics {
  public static class EmotionMetricsAdapter { public static Dictionary<string,double> Flat(int[] t, int[] p, string[] c) => throw new NotImplementedException(); }
  public static class SentimentMetricsAdapter { public static Dictionary<string,double> Binary(float[] t, int[] p) => throw new NotImplementedException(); public static Dictionary<string,double> Regression(float[] t, float[] p) => throw new NotImplementedException(); }
}
