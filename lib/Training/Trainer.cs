using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using CorrKD.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Training;

/// <summary>Validation figures of one epoch: the loss, the headline metric and any other metrics.</summary>
public sealed record ValidationScores(double Loss, double Headline, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// What is being trained: the teacher (cross-entropy on complete input) or a student variant (task loss plus
/// distillation terms on randomly-missing input). The trainer owns the loop; the objective owns the math.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Modules trained (and checkpointed); [0] is the backbone, the rest auxiliaries (RCD statistics nets).</summary>
    IReadOnlyList<nn.Module> Modules { get; }
    /// <summary>Training-split size.</summary>
    int TrainCount { get; }
    /// <summary>Loss of one mini-batch (called inside the trainer's dispose scope) and its named terms (scalars).</summary>
    (Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms) Loss(long[] batch, Generator generator);
    /// <summary>Scores on the validation split; models are in eval mode and gradients off when this runs.</summary>
    ValidationScores Validate();
}

/// <summary>A loss or gradient became NaN or infinite: training stopped at once (the last good epoch's checkpoint stays).</summary>
public sealed class NonFiniteTrainingException(string message) : InvalidOperationException(message);

/// <summary>The outcome of a fit: per-epoch history, the selected epoch and its validation scores.</summary>
public sealed record TrainResult(IReadOnlyList<IReadOnlyDictionary<string, double>> History, int BestEpoch, double BestScore, bool Resumed)
{
    /// <summary>History as a DataFrame: epoch, lr, seconds, train terms, valid loss and metrics.</summary>
    public DataFrame HistoryFrame() => Trainer.ToFrame(History);
}

/// <summary>
/// The training loop shared by teacher and students: Adam, gradient clipping, ReduceLROnPlateau on the
/// validation loss, best-on-validation selection, optional early stopping, a checkpoint after every epoch and
/// resume from it. Reproducibility: epoch e uses seeds derived from (seed, e) for the batch order, the dropout
/// RNG and the objective's generator, so a run resumed at an epoch boundary follows the same trajectory as an
/// uninterrupted one (bit-exact on CPU with a fixed thread count).
/// </summary>
public static class Trainer
{
    public static TrainResult Fit(ITrainingObjective objective, TrainOptions o, int seed, string? checkpointDir,
        JsonObject identity, IProgress<TrainProgress>? progress = null, string stage = "train", CancellationToken ct = default)
    {
        o.Validate(stage);
        var parameters = objective.Modules.SelectMany(m => m.parameters()).ToList();
        using var optimizer = optim.Adam(parameters, lr: o.LearningRate, weight_decay: o.WeightDecay);
        var history = new List<IReadOnlyDictionary<string, double>>();
        double lr = o.LearningRate, plateauBest = double.PositiveInfinity, best = double.NegativeInfinity;
        int plateauBad = 0, bestEpoch = 0, sinceBest = 0, startEpoch = 1;
        bool resumed = false;
        List<Dictionary<string, Tensor>>? bestWeights = null;   // in-memory best when there is no checkpoint folder
        string? lastDir = checkpointDir == null ? null : Path.Combine(checkpointDir, "last");
        string? bestDir = checkpointDir == null ? null : Path.Combine(checkpointDir, "best");

        if (lastDir != null && Checkpoint.Exists(lastDir))
        {
            var st = Checkpoint.ReadState(lastDir);
            CheckIdentity(lastDir, st["identity"]!.AsObject(), identity);
            Checkpoint.LoadWeights(lastDir, objective.Modules, optimizer);
            startEpoch = (int)st["epoch"]! + 1; lr = Checkpoint.ToDouble(st["lr"]);
            plateauBest = Checkpoint.ToDouble(st["plateau_best"]); plateauBad = (int)st["plateau_bad"]!;
            best = Checkpoint.ToDouble(st["best"]); bestEpoch = (int)st["best_epoch"]!; sinceBest = (int)st["since_best"]!;
            foreach (var row in st["history"]!.AsArray())
                history.Add(row!.AsObject().ToDictionary(kv => kv.Key, kv => Checkpoint.ToDouble(kv.Value)));
            resumed = true;
        }
        SetLearningRate(optimizer, lr);

        int n = objective.TrainCount, batches = (n + o.BatchSize - 1) / o.BatchSize;
        for (int epoch = startEpoch; epoch <= o.Epochs; epoch++)
        {
            if (o.EarlyStopPatience > 0 && sinceBest >= o.EarlyStopPatience) break;
            ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            ulong epochSeed = EpochSeed(seed, epoch);
            torch.random.manual_seed((long)(epochSeed & 0x7fffffffffffffff));
            using var gen = new Generator(epochSeed ^ 0x9E3779B97F4A7C15UL, torch.CPU);   // host: one CPU generator, so batch order and masks repeat on any device
            long[] order;
            using (var perm = randperm(n, generator: gen)) order = perm.data<long>().ToArray();   // host: batch order as managed indices

            foreach (var m in objective.Modules) m.train();
            var sums = new Dictionary<string, double>();
            double lossSum = 0;
            for (int b = 0; b < batches; b++)
            {
                ct.ThrowIfCancellationRequested();
                using var step = new StepScope();
                var idx = order.AsSpan(b * o.BatchSize, Math.Min(o.BatchSize, n - b * o.BatchSize)).ToArray();
                var (loss, terms) = objective.Loss(idx, gen);
                optimizer.zero_grad();
                loss.backward();
                double l = loss.item<float>();
                if (!double.IsFinite(l)) throw NonFiniteLoss(objective, stage, l, epoch, b + 1);
                double norm = nn.utils.clip_grad_norm_(parameters, o.ClipGrad > 0 ? o.ClipGrad : double.MaxValue);
                if (!double.IsFinite(norm)) throw NonFiniteGradient(objective, stage, epoch, b + 1);
                optimizer.step();
                lossSum += l * idx.Length;
                foreach (var (k, v) in terms) sums[k] = sums.GetValueOrDefault(k) + v.item<float>() * idx.Length;
                progress?.Report(new TrainProgress(stage, epoch, o.Epochs, b + 1, batches, lossSum / Math.Min(n, (b + 1) * o.BatchSize),
                    b + 1 == batches ? "validating" : ""));
            }

            ValidationScores val;
            foreach (var m in objective.Modules) m.eval();
            using (no_grad()) val = objective.Validate();

            // ReduceLROnPlateau (mode min on the validation loss, threshold 1e-4 relative, as PyTorch's default).
            if (val.Loss < plateauBest * (1 - 1e-4)) { plateauBest = val.Loss; plateauBad = 0; }
            else if (++plateauBad > o.PlateauPatience) { lr *= o.PlateauFactor; plateauBad = 0; SetLearningRate(optimizer, lr); }

            double score = o.Selection == "loss" ? -val.Loss : val.Headline;
            bool improved = score > best;
            if (improved) { best = score; bestEpoch = epoch; sinceBest = 0; } else sinceBest++;

            var row = new Dictionary<string, double> { ["epoch"] = epoch, ["lr"] = lr, ["seconds"] = clock.Elapsed.TotalSeconds, ["train_loss"] = lossSum / n };
            foreach (var (k, v) in sums) row["train_" + k] = v / n;
            row["valid_loss"] = val.Loss; row["valid_headline"] = val.Headline;
            foreach (var (k, v) in val.Metrics) row["valid_" + k] = v;
            history.Add(row);
            progress?.Report(new TrainProgress(stage, epoch, o.Epochs, batches, batches, lossSum / n,
                $"valid loss {val.Loss:F4} headline {100 * val.Headline:F2}{(improved ? " *" : "")}", EpochDone: true));

            if (checkpointDir != null)
            {
                if (improved) Checkpoint.Save(bestDir!, objective.Modules, null, new JsonObject { ["epoch"] = epoch, ["identity"] = identity.DeepClone() });
                var state = new JsonObject
                {
                    ["epoch"] = epoch, ["lr"] = Checkpoint.Number(lr), ["plateau_best"] = Checkpoint.Number(plateauBest), ["plateau_bad"] = plateauBad,
                    ["best"] = Checkpoint.Number(best), ["best_epoch"] = bestEpoch, ["since_best"] = sinceBest,
                    ["identity"] = identity.DeepClone(),
                    ["history"] = new JsonArray(history.Select(h => (JsonNode)new JsonObject(h.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Checkpoint.Number(kv.Value))))).ToArray()),
                };
                Checkpoint.Save(lastDir!, objective.Modules, optimizer, state);
            }
            else if (improved) SnapshotInMemory(objective.Modules, ref bestWeights);
        }

        // Leave the selected epoch's weights in the modules.
        if (bestDir != null && Checkpoint.Exists(bestDir)) Checkpoint.LoadWeights(bestDir, objective.Modules);
        else if (bestWeights != null) RestoreInMemory(objective.Modules, bestWeights);
        foreach (var m in objective.Modules) m.eval();
        return new TrainResult(history, bestEpoch, best, resumed);
    }

    private static void SnapshotInMemory(IReadOnlyList<nn.Module> modules, ref List<Dictionary<string, Tensor>>? store)
    {
        if (store != null) foreach (var d in store) foreach (var t in d.Values) t.Dispose();
        store = modules.Select(m => m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope())).ToList();
    }

    private static void RestoreInMemory(IReadOnlyList<nn.Module> modules, List<Dictionary<string, Tensor>> store)
    {
        using var _ = no_grad();
        for (int i = 0; i < modules.Count; i++)
        {
            var sd = modules[i].state_dict();
            foreach (var (k, v) in store[i]) { sd[k].copy_(v); v.Dispose(); }
        }
    }

    private static NonFiniteTrainingException NonFiniteLoss(ITrainingObjective objective, string stage, double loss, int epoch, int batch)
    {
        var bad = NonFinite(objective, p => p);
        return new NonFiniteTrainingException($"{stage}: loss became {loss} at epoch {epoch}, batch {batch}" +
            (bad.Count > 0 ? $"; non-finite weights in {string.Join(", ", bad)}" : "; weights are finite, so check the batch's inputs for extreme values") +
            "; try a lower learning rate or stronger gradient clipping");
    }

    private static List<string> NonFinite(ITrainingObjective objective, Func<Tensor, Tensor?> pick) =>
        objective.Modules.SelectMany((m, i) => m.named_parameters().Select(p => (Name: $"{(i == 0 ? "model" : $"aux{i - 1}")}.{p.name}", T: pick(p.parameter))))
            .Where(p => p.T is { } t && !t.isfinite().all().item<bool>()).Select(p => p.Name).Take(8).ToList();

    private static NonFiniteTrainingException NonFiniteGradient(ITrainingObjective objective, string stage, int epoch, int batch)
    {
        var bad = NonFinite(objective, p => p.grad);
        return new NonFiniteTrainingException($"{stage}: non-finite gradient at epoch {epoch}, batch {batch} in {string.Join(", ", bad)}; " +
                                             "the step was skipped and training stopped");
    }

    /// <summary>SplitMix64 of (seed, epoch): independent, reproducible per-epoch seeds.</summary>
    public static ulong EpochSeed(int seed, int epoch)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)epoch) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void SetLearningRate(TorchSharp.Modules.OptimizerHelper opt, double lr)
    {
        foreach (var g in opt.ParamGroups) g.LearningRate = lr;
    }

    private static void CheckIdentity(string dir, JsonObject saved, JsonObject current)
    {
        foreach (var (k, v) in current)
        {
            var s = k == "config" && saved[k] is JsonObject c ? Normalised(c, dir) : saved[k]?.ToJsonString();
            if (s != v?.ToJsonString())
                throw new InvalidOperationException(
                    $"checkpoint {dir} was made with a different {k} ({Short(s)} vs now {Short(v?.ToJsonString())}); " +
                    "refusing to resume. Use a new run folder for a different data set or config.");
        }
    }

    /// <summary>A saved config as the current KitConfig writes it: options added since it was saved take their
    /// defaults, so a checkpoint from before, say, features.standardize still resumes (with the option off).</summary>
    private static string Normalised(JsonObject config, string dir) =>
        JsonNode.Parse(KitConfig.Parse(config.ToJsonString(), $"checkpoint {dir}").ToJson())!.ToJsonString();

    private static string Short(string? s) => s == null ? "none" : s.Length > 80 ? s[..80] + "..." : s;

    public static DataFrame ToFrame(IReadOnlyList<IReadOnlyDictionary<string, double>> history)
    {
        var keys = history.SelectMany(h => h.Keys).Distinct().ToList();
        var cols = keys.Select(k => (DataFrameColumn)new DoubleDataFrameColumn(k, history.Select(h => h.TryGetValue(k, out var v) ? v : (double?)null))).ToArray();
        return new DataFrame(cols);
    }
}
