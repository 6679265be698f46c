using System.Globalization;
using System.Text.Json.Nodes;
using CorrKD.Data;
using CorrKD.Distillation;
using CorrKD.Evaluation;
using CorrKD.Model;
using CorrKD.Reporting;
using CorrKD.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Experiments;

/// <summary>The summary of a finished (or resumed and finished) run.</summary>
public sealed record RunSummary(string Folder, string Kind, string Dataset, string Variant, int Seed, int BestEpoch,
    double SecondsPerEpoch, IReadOnlyList<ConditionResult> Test, double? TeacherComplete);

/// <summary>
/// Trains a teacher or a student into its own run folder and evaluates it on the test split under both
/// missing-modality protocols. Folder contents: run.json (what, on which data, environment), config.json,
/// history.csv, checkpoint/{last,best}, metrics.json, results.csv (tidy rows), predictions.csv.
/// </summary>
public static class TrainingRun
{
    public const string TeacherKind = "teacher", StudentKind = "student";

    public static RunSummary Teacher(RunRequest r, IProgress<TrainProgress>? progress = null, TextWriter? log = null)
        => Run(TeacherKind, r, progress, log ?? TextWriter.Null);

    public static RunSummary Student(RunRequest r, IProgress<TrainProgress>? progress = null, TextWriter? log = null)
    {
        if (r.TeacherRun == null && r.Resume == null) throw new ArgumentException("a student needs --teacher RUN_DIR");
        return Run(StudentKind, r, progress, log ?? TextWriter.Null);
    }

    /// <summary>One run, whose memory goes back to the system when it ends (<see cref="KitRuntime.ReleaseFreedMemory"/>),
    /// after its data set, models and tensors are disposed, so run after run in one process does not pile up.</summary>
    private static RunSummary Run(string kind, RunRequest r, IProgress<TrainProgress>? progress, TextWriter log)
    {
        try { return RunOnce(kind, r, progress, log); }
        finally { KitRuntime.ReleaseFreedMemory(); }
    }

    private static RunSummary RunOnce(string kind, RunRequest r, IProgress<TrainProgress>? progress, TextWriter log)
    {
        var device = KitRuntime.ResolveDevice(r.Device);
        int threads = KitRuntime.SetThreads(r.Threads);
        RunFolder folder;
        JsonObject? previous = null;
        if (r.Resume != null)
        {
            folder = RunFolder.Open(r.Resume);
            previous = folder.ReadJson("run.json");
            if ((string?)previous["kind"] != kind) throw new ArgumentException($"{folder.Path} is a {(string?)previous["kind"]} run, not a {kind} run");
            r = r with
            {
                Dataset = (string)previous["dataset_arg"]!, DataSeed = (int)previous["data_seed"]!, Seed = (int)previous["seed"]!,
                Variant = (string)previous["variant"]!, TeacherRun = (string?)previous["teacher_run"],
            };
        }
        else
        {
            var name = kind == TeacherKind ? Path.GetFileNameWithoutExtension(r.Dataset) : r.Variant;
            folder = RunFolder.CreateNew(r.Out, kind, $"{name}-s{r.Seed}");
        }

        // Teacher (for students): its run fixes the data set, data seed and config family.
        RunFolder? teacherFolder = null;
        JsonObject? teacherInfo = null;
        if (kind == StudentKind)
        {
            teacherFolder = RunFolder.Open(r.TeacherRun!);
            teacherInfo = teacherFolder.ReadJson("run.json");
            if ((string?)teacherInfo["kind"] != TeacherKind) throw new ArgumentException($"--teacher {r.TeacherRun}: not a teacher run folder");
            r = r with { Dataset = (string)teacherInfo["dataset_arg"]!, DataSeed = (int)teacherInfo["data_seed"]! };
        }

        log.WriteLine($"{kind}: device {device.type.ToString().ToLowerInvariant()} (build backend {KitRuntime.TorchBackend}, libtorch {torch.__version__}, {threads} threads)");
        log.WriteLine($"{kind}: loading {r.Dataset}{(DatasetRegistry.IsSynthetic(r.Dataset) ? $" (data seed {r.DataSeed})" : "")}");
        using var data = DatasetRegistry.Load(r.Dataset, r.DataSeed);
        var fingerprint = Checkpoint.Fingerprint(data);

        KitConfig cfg;
        if (previous != null) cfg = KitConfig.Parse(folder.ReadJson("config.json").ToJsonString(), folder.File("config.json"));
        else if (teacherFolder != null && r.ConfigPath == null) cfg = KitConfig.Parse(teacherFolder.ReadJson("config.json").ToJsonString(), teacherFolder.File("config.json"));
        else cfg = r.ConfigPath != null ? KitConfig.Load(r.ConfigPath) : KitConfig.Default(KitConfig.FamilyOf(data.Name));
        if (r.Epochs is int ep && previous == null)
            cfg = kind == TeacherKind ? cfg with { Teacher = cfg.Teacher with { Epochs = ep } } : cfg with { Student = cfg.Student with { Epochs = ep } };
        if (r.Standardize is bool z && z != cfg.Features.Standardize)
        {
            if (previous != null) throw new ArgumentException($"--standardize: run {folder.Path} was made with features.standardize = {Lower(cfg.Features.Standardize)}; a resumed run keeps its config");
            cfg = cfg with { Features = cfg.Features with { Standardize = z } };
        }
        var train = kind == TeacherKind ? cfg.Teacher : cfg.Student;
        var scheme = LabelScheme.For(data, cfg.SentimentClasses);

        if (teacherInfo != null && (string?)teacherInfo["fingerprint"] != fingerprint)
            throw new InvalidOperationException($"teacher run {r.TeacherRun} was trained on different data (fingerprint {(string?)teacherInfo["fingerprint"]} vs {fingerprint})");
        if (teacherFolder != null)
        {
            var teacherFeatures = KitConfig.Parse(teacherFolder.ReadJson("config.json").ToJsonString(), teacherFolder.File("config.json")).Features;
            if (teacherFeatures != cfg.Features)
                throw new ArgumentException($"features.standardize is {Lower(cfg.Features.Standardize)} for this student but {Lower(teacherFeatures.Standardize)} " +
                                            $"in teacher run {r.TeacherRun}: a student must see the inputs its teacher saw (drop --standardize or fix the config)");
        }

        // OPEN (off by default): z-score every modality with the training split's real-frame statistics. The data
        // fingerprint above is of the file as loaded, so teacher and students of one file still match.
        var standardizer = cfg.Features.Standardize ? FeatureStandardizer.Fit(data.Train) : null;
        standardizer?.Apply(data);
        if (standardizer != null)
            log.WriteLine("features: standardised per dimension with train-split statistics over real frames (" +
                          string.Join(", ", standardizer.Modalities.Select(m => $"{m.Modality.ToString().ToLowerInvariant()} {m.Frames} frames, pooled mean {m.PooledMean:G3} sd {m.PooledSd:G3}")) + ")");

        if (previous == null)
        {
            var info = new JsonObject
            {
                ["kind"] = kind, ["dataset"] = data.Name, ["dataset_arg"] = r.Dataset, ["source"] = data.Source,
                ["data_seed"] = r.DataSeed, ["fingerprint"] = fingerprint, ["seed"] = r.Seed,
                ["variant"] = kind == TeacherKind ? "teacher" : r.Variant,
                ["teacher_run"] = teacherFolder?.Path, ["device"] = device.type.ToString(), ["threads"] = threads,
                ["standardization"] = StandardizationInfo(standardizer),
                ["environment"] = RunFolder.Environment_(),
            };
            folder.WriteJson("run.json", info);
            folder.WriteText("config.json", cfg.ToJson());
            if (standardizer != null) folder.WriteJson(StandardizationFile, StandardizationStatistics(standardizer));
        }
        var variant = kind == TeacherKind ? "teacher" : r.Variant;

        torch.random.manual_seed(r.Seed);
        var model = new CorrKDBackbone(data.Dims, scheme.NumClasses, cfg.ModelFor(train));
        model.to(device);
        var identity = new JsonObject { ["fingerprint"] = fingerprint, ["config"] = JsonNode.Parse(cfg.ToJson()), ["variant"] = variant, ["seed"] = r.Seed };

        ITrainingObjective objective;
        CorrKDBackbone? teacher = null;
        double? teacherComplete = null;
        var notes = new List<string>();
        if (kind == TeacherKind) objective = new TeacherObjective(model, data, scheme, device, train.EvalBatchSize);
        else
        {
            var tcfg = KitConfig.Parse(teacherFolder!.ReadJson("config.json").ToJsonString(), teacherFolder.File("config.json"));
            teacher = LoadModel(teacherFolder, data, tcfg, device);
            var distill = DistillationObjective.ForVariant(r.Variant, cfg.Distillation, scheme.NumClasses, cfg.Model.JointDim);
            distill.to(device);
            foreach (var note in distill.Notes) { log.WriteLine($"note: {note}"); notes.Add(note); }
            objective = new StudentObjective(model, teacher, distill, cfg.Missing, data, scheme, device, train.EvalBatchSize, train.BatchSize);
            teacherComplete = TryReadCompleteHeadline(teacherFolder);
        }

        TrainResult result;
        try { result = Trainer.Fit(objective, train, r.Seed, folder.Sub("checkpoint"), identity, progress, $"{variant} s{r.Seed}"); }
        catch (NonFiniteTrainingException e)
        {
            // A non-finite loss or gradient stops the run at once; name the run folder (it resumes from the last good epoch).
            throw new InvalidOperationException($"run {folder.Path}: {e.Message}", e);
        }
        IO.AtomicFile.Write(folder.File("history.csv"), tmp => Microsoft.Data.Analysis.DataFrame.SaveCsv(result.HistoryFrame(), tmp, cultureInfo: CultureInfo.InvariantCulture));

        // Test evaluation under both protocols.
        var test = MissingProtocols.Sweep(model, data.Test, scheme, data.ClassNames, cfg.MaskSeed, r.EvaluateIntra, train.EvalBatchSize, device);
        MissingProtocols.WritePredictions(folder.File("predictions.csv"), data.Test, scheme, test);
        var rows = ResultRows(data.Name + (DatasetRegistry.IsSynthetic(r.Dataset) ? $"@{r.DataSeed}" : ""), variant, r.Seed, test, data);
        ResultsCsv.Write(folder.File("results.csv"), rows);

        double secondsPerEpoch = result.History.Count == 0 ? 0 : result.History.Average(h => h["seconds"]);
        var metrics = new JsonObject
        {
            ["best_epoch"] = result.BestEpoch, ["epochs_run"] = result.History.Count, ["seconds_per_epoch"] = secondsPerEpoch,
            ["finished_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),   // with run.json's started_utc: the run's wall span
            ["headline_metric"] = Scoring.HeadlineName(scheme), ["notes"] = new JsonArray(notes.Select(n => (JsonNode?)n).ToArray()), ["teacher_complete_headline"] = teacherComplete,
            ["test"] = new JsonObject(test.Select(c => KeyValuePair.Create($"{c.Protocol}/{c.Condition}",
                (JsonNode?)new JsonObject(c.Metrics.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(double.IsFinite(kv.Value) ? kv.Value : (double?)null))))))),
        };
        folder.WriteJson("metrics.json", metrics);
        foreach (var c in test) c.Logits?.Dispose();
        (objective as IDisposable)?.Dispose();
        teacher?.Dispose();
        model.Dispose();
        return new RunSummary(folder.Path, kind, data.Name, variant, r.Seed, result.BestEpoch, secondsPerEpoch,
            test.Select(c => c with { Logits = null }).ToList(), teacherComplete);   // logits are freed; predictions.csv has them
    }

    /// <summary>The full per-dimension statistics of a standardised run (run.json holds the summary).</summary>
    public const string StandardizationFile = "standardization.json";

    /// <summary>run.json's "standardization": enabled, where the statistics come from, and per modality the real frames
    /// counted and the pooled mean and sd (raw scale); the per-dimension values are in <see cref="StandardizationFile"/>.</summary>
    public static JsonObject StandardizationInfo(FeatureStandardizer? s)
    {
        var o = new JsonObject { ["enabled"] = s != null };
        if (s == null) return o;
        o["statistics"] = $"per feature dimension over the '{s.FittedOn}' split's real (not all-zero) frames; all-zero frames stay zero";
        o["file"] = StandardizationFile;
        o["modalities"] = new JsonObject(s.Modalities.Select(m => KeyValuePair.Create(m.Modality.ToString().ToLowerInvariant(),
            (JsonNode?)new JsonObject { ["frames"] = m.Frames, ["dim"] = m.Mean.Length, ["pooled_mean"] = m.PooledMean, ["pooled_sd"] = m.PooledSd })));
        return o;
    }

    private static JsonObject StandardizationStatistics(FeatureStandardizer s) => new()
    {
        ["fitted_on"] = s.FittedOn,
        ["modalities"] = new JsonObject(s.Modalities.Select(m => KeyValuePair.Create(m.Modality.ToString().ToLowerInvariant(),
            (JsonNode?)new JsonObject
            {
                ["frames"] = m.Frames,
                ["mean"] = new JsonArray(m.Mean.Select(v => (JsonNode?)v).ToArray()),
                ["sd"] = new JsonArray(m.Sd.Select(v => (JsonNode?)v).ToArray()),
            }))),
    };

    private static string Lower(bool b) => b ? "true" : "false";

    /// <summary>The selected (best-on-validation) weights of a finished run, in eval mode.</summary>
    public static CorrKDBackbone LoadModel(RunFolder run, MsaDataset data, KitConfig cfg, Device device)
    {
        var info = run.ReadJson("run.json");
        var scheme = LabelScheme.For(data, cfg.SentimentClasses);
        var kind = (string?)info["kind"];
        var model = new CorrKDBackbone(data.Dims, scheme.NumClasses, cfg.ModelFor(kind == TeacherKind ? cfg.Teacher : cfg.Student));
        var best = Path.Combine(run.Path, "checkpoint", "best");
        if (!Checkpoint.Exists(best)) throw new FileNotFoundException($"{run.Path} has no finished checkpoint (checkpoint/best); finish it with --resume {run.Path}");
        Checkpoint.LoadWeights(best, new[] { model });
        model.to(device);
        model.eval();
        return model;
    }

    /// <summary>Headline of a finished run on the complete test input (null if not evaluated yet).</summary>
    public static double? TryReadCompleteHeadline(RunFolder run)
    {
        if (!File.Exists(run.File("metrics.json"))) return null;
        var m = run.ReadJson("metrics.json");
        var name = (string?)m["headline_metric"];
        return name == null ? null : (double?)m["test"]?["inter/lav"]?[name];
    }

    /// <summary>Tidy rows (dataset, variant, seed, protocol, condition, emotion, metric, value).</summary>
    public static List<ResultRow> ResultRows(string dataset, string variant, int seed, IEnumerable<ConditionResult> results, MsaDataset data)
    {
        var rows = new List<ResultRow>();
        foreach (var c in results)
            foreach (var (k, v) in c.Metrics)
            {
                var slash = k.IndexOf('/');
                var (emotion, metric) = slash >= 0 ? (k[..slash], k[(slash + 1)..]) : ("", k);
                rows.Add(new ResultRow(dataset, variant, seed, c.Protocol, c.Condition, emotion, metric, v));
            }
        return rows;
    }
}
