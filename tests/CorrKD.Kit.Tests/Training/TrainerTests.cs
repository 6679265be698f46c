using System.Text.Json.Nodes;
using CorrKD.Data;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Training;

public class TrainerTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "corrkd-trainer-" + Guid.NewGuid().ToString("N"));
    private static readonly ModelOptions Small = new() { HiddenDim = 8, Heads = 2, Layers = 1 };
    private static readonly TrainOptions Opts = new() { Epochs = 4, BatchSize = 16, LearningRate = 3e-3, PlateauPatience = 1 };

    public void Dispose() { if (Directory.Exists(dir)) Directory.Delete(dir, true); }

    private static (TrainResult Result, float[] Weights) Train(MsaDataset ds, string? ckpt, JsonObject? identity = null,
        CancellationToken ct = default, IProgress<TrainProgress>? progress = null, int seed = 7)
    {
        torch.set_num_threads(1);
        torch.random.manual_seed(seed);
        using var model = new CorrKDBackbone(ds.Dims, 2, Small);
        var obj = new TeacherObjective(model, ds, LabelScheme.For(ds), CPU, 64);
        var r = Trainer.Fit(obj, Opts, seed, ckpt, identity ?? new JsonObject { ["data"] = "a" }, progress, "t", ct);
        var w = model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        return (r, w);
    }

    [Fact]
    public void SameSeedAndThreadsGiveIdenticalHistoryAndWeights()
    {
        using var ds = TestData.Sentiment();
        var a = Train(ds, null);
        var b = Train(ds, null);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Result.History.Select(h => h["valid_loss"]), b.Result.History.Select(h => h["valid_loss"]));
        var c = Train(ds, null, seed: 8);
        Assert.NotEqual(a.Weights, c.Weights);
    }

    [Fact]
    public void LearnsTheSignalAndLogsEveryEpoch()
    {
        using var ds = TestData.Sentiment();
        var (r, _) = Train(ds, null);
        Assert.Equal(4, r.History.Count);
        Assert.True(r.History[^1]["train_loss"] < r.History[0]["train_loss"], "training loss should fall on a learnable set");
        var frame = r.HistoryFrame();
        Assert.Contains("valid_f1_non0", frame.Columns.Select(c => c.Name));
        Assert.Contains("lr", frame.Columns.Select(c => c.Name));
    }

    [Fact]
    public void ResumeAfterAKillMidEpochEndsExactlyLikeAnUninterruptedRun()
    {
        using var ds = TestData.Sentiment();
        var straight = Train(ds, Path.Combine(dir, "a"));

        // Interrupt in epoch 3, batch 2: epochs 1-2 are checkpointed, epoch 3 is lost half-way.
        using var cts = new CancellationTokenSource();
        var killer = new Progress(p => { if (p.Epoch == 3 && p.Batch == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Train(ds, Path.Combine(dir, "b"), ct: cts.Token, progress: killer));
        Assert.True(Checkpoint.Exists(Path.Combine(dir, "b", "last")));

        var resumed = Train(ds, Path.Combine(dir, "b"));
        Assert.True(resumed.Result.Resumed);
        Assert.Equal(straight.Weights, resumed.Weights);
        Assert.Equal(straight.Result.History.Select(h => h["valid_loss"]), resumed.Result.History.Select(h => h["valid_loss"]));
        Assert.Equal(straight.Result.BestEpoch, resumed.Result.BestEpoch);
    }

    /// <summary>An objective whose validation reports undefined metrics, as a K=3 student with constant predictions does (corr NaN).</summary>
    private sealed class UndefinedMetrics(ITrainingObjective inner) : ITrainingObjective
    {
        public IReadOnlyList<nn.Module> Modules => inner.Modules;
        public int TrainCount => inner.TrainCount;
        public (Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms) Loss(long[] batch, Generator generator) => inner.Loss(batch, generator);
        public ValidationScores Validate()
        {
            var v = inner.Validate();
            return v with { Metrics = new Dictionary<string, double>(v.Metrics) { ["corr"] = double.NaN, ["up"] = double.PositiveInfinity, ["down"] = double.NegativeInfinity } };
        }
    }

    [Fact]
    public void UndefinedMetricsAreCheckpointedAndResumedExactly()
    {
        using var ds = TestData.Sentiment();
        TrainResult Fit(string ckpt, CancellationToken ct = default, IProgress<TrainProgress>? progress = null)
        {
            torch.set_num_threads(1);
            torch.random.manual_seed(7);
            using var model = new CorrKDBackbone(ds.Dims, 2, Small);
            var obj = new UndefinedMetrics(new TeacherObjective(model, ds, LabelScheme.For(ds), CPU, 64));
            return Trainer.Fit(obj, Opts, 7, ckpt, new JsonObject { ["data"] = "a" }, progress, "t", ct);
        }
        using var cts = new CancellationTokenSource();
        var killer = new Progress(p => { if (p.Epoch == 3 && p.Batch == 1) cts.Cancel(); });
        var ckpt = Path.Combine(dir, "nan");
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(ckpt, cts.Token, killer));
        Assert.Contains("\"NaN\"", File.ReadAllText(Path.Combine(ckpt, "last", Checkpoint.StateFile)));
        var resumed = Fit(ckpt);
        Assert.True(resumed.Resumed);
        Assert.Equal(4, resumed.History.Count);
        Assert.All(resumed.History, h => Assert.True(double.IsNaN(h["valid_corr"]) && h["valid_up"] == double.PositiveInfinity && h["valid_down"] == double.NegativeInfinity));
        Assert.Equal(1.5, Checkpoint.ToDouble(Checkpoint.Number(1.5)));
        Assert.Throws<InvalidDataException>(() => Checkpoint.ToDouble(JsonValue.Create("1.5")));
    }

    [Fact]
    public void ACheckpointFromOtherDataIsRefused()
    {
        using var ds = TestData.Sentiment();
        Train(ds, Path.Combine(dir, "c"), new JsonObject { ["fingerprint"] = "aaaa" });
        var e = Assert.Throws<InvalidOperationException>(() => Train(ds, Path.Combine(dir, "c"), new JsonObject { ["fingerprint"] = "bbbb" }));
        Assert.Contains("different fingerprint", e.Message);
    }

    [Fact]
    public void ACheckpointWhoseConfigPredatesANewOptionResumes_ButAChangedOptionIsRefused()
    {
        // A checkpoint written before features.standardize existed has a config without "features"; resuming with
        // today's config (which writes "features": {"standardize": false}) must go on, since nothing changed.
        using var ds = TestData.Sentiment();
        var old = JsonNode.Parse(KitConfig.Default("mosi").ToJson())!.AsObject();
        old.Remove("features");
        Train(ds, Path.Combine(dir, "c"), new JsonObject { ["config"] = old });
        var now = JsonNode.Parse(KitConfig.Default("mosi").ToJson())!;
        Assert.True(Train(ds, Path.Combine(dir, "c"), new JsonObject { ["config"] = now }).Result.Resumed);
        var on = JsonNode.Parse((KitConfig.Default("mosi") with { Features = new() { Standardize = true } }).ToJson())!;
        var e = Assert.Throws<InvalidOperationException>(() => Train(ds, Path.Combine(dir, "c"), new JsonObject { ["config"] = on }));
        Assert.Contains("different config", e.Message);
    }

    [Fact]
    public void FingerprintDependsOnTheData()
    {
        using var a = TestData.Sentiment(seed: 1);
        using var b = TestData.Sentiment(seed: 1);
        using var c = TestData.Sentiment(seed: 2);
        Assert.Equal(Checkpoint.Fingerprint(a), Checkpoint.Fingerprint(b));
        Assert.NotEqual(Checkpoint.Fingerprint(a), Checkpoint.Fingerprint(c));
    }

    private sealed class Progress(Action<TrainProgress> f) : IProgress<TrainProgress> { public void Report(TrainProgress p) => f(p); }
}
