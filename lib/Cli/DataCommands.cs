using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CorrKD.Data;
using CorrKD.Data.Formats;

namespace CorrKD.Cli;

/// <summary>`data inspect` and `data synth`.</summary>
public static class DataCommands
{
    public static int Run(CliArgs a)
    {
        var sub = a.Positional(0, "data subcommand (inspect or synth)");
        return sub switch
        {
            "inspect" => Inspect(a),
            "synth" => Synth(a),
            _ => throw new CliException($"unknown data subcommand '{sub}': expected inspect or synth"),
        };
    }

    private static int Inspect(CliArgs a)
    {
        var what = a.Positional(1, "PATH or NAME of a data set");
        bool json = a.Flag("json");
        int seed = a.Int("data-seed") ?? 0;
        a.RejectUnknown(2);
        if (File.Exists(what) && (Path.GetExtension(what).Equals(".csd", StringComparison.OrdinalIgnoreCase) || CsdReader.HasHdf5Signature(what)))
            return InspectCsd(what, json);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var ds = DatasetRegistry.Load(what, seed);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var summary = ds.Summary();
        // Scale of each modality over the training split's real frames, and the warnings of the documented rule.
        var scale = FeatureStandardizer.Fit(ds.Train);
        var warnings = scale.ScaleWarnings();
        if (json)
        {
            var splits = new JsonObject();
            foreach (var s in ds.Splits)
            {
                var mods = new JsonObject();
                for (long r = 0; r < summary.Rows.Count; r++)
                {
                    if ((string)summary["split"][r] != s.Name) continue;
                    mods[(string)summary["modality"][r]] = new JsonObject
                    {
                        ["shape"] = new JsonArray((long)summary["N"][r], (long)summary["T"][r], (long)summary["dim"][r]),
                        ["mean"] = (double)summary["mean"][r], ["std"] = (double)summary["std"][r],
                        ["nan"] = (long)summary["nan"][r], ["inf"] = (long)summary["inf"][r],
                    };
                }
                splits[s.Name] = new JsonObject
                {
                    ["count"] = s.Count, ["modalities"] = mods,
                    ["labels"] = new JsonObject(ds.LabelCounts(s).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                };
            }
            var doc = new JsonObject
            {
                ["name"] = ds.Name, ["source"] = ds.Source, ["task"] = ds.Task.ToString().ToLowerInvariant(),
                ["classes"] = new JsonArray(ds.ClassNames.Select(c => (JsonNode?)c).ToArray()),
                ["dims"] = new JsonArray(ds.Dims.Select(d => (JsonNode?)d).ToArray()),
                ["seq_lens"] = new JsonArray(ds.SeqLens.Select(d => (JsonNode?)d).ToArray()),
                ["load_seconds"] = Math.Round(loadSeconds, 3), ["splits"] = splits,
                ["train_real_frames"] = new JsonObject(scale.Modalities.Select(m => KeyValuePair.Create(m.Modality.ToString().ToLowerInvariant(),
                    (JsonNode?)new JsonObject { ["frames"] = m.Frames, ["mean"] = m.PooledMean, ["sd"] = m.PooledSd }))),
                ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode?)w).ToArray()),
            };
            Console.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        Console.WriteLine($"{ds.Name}  ({ds.Source})  task={ds.Task.ToString().ToLowerInvariant()}  dims l/a/v={string.Join("/", ds.Dims)}  T={string.Join("/", ds.SeqLens)}  loaded in {loadSeconds:F2} s");
        if (ds.ClassNames.Length > 0) Console.WriteLine($"classes: {string.Join(", ", ds.ClassNames)}");
        Console.WriteLine($"{"split",-6} {"modality",-9} {"shape",-18} {"mean",10} {"std",10} {"nan",6} {"inf",6}");
        for (long r = 0; r < summary.Rows.Count; r++)
            Console.WriteLine($"{summary["split"][r],-6} {summary["modality"][r],-9} {$"({summary["N"][r]},{summary["T"][r]},{summary["dim"][r]})",-18} " +
                              $"{(double)summary["mean"][r],10:F4} {(double)summary["std"][r],10:F4} {summary["nan"][r],6} {summary["inf"][r],6}");
        foreach (var s in ds.Splits)
            Console.WriteLine($"labels {s.Name,-5}: {string.Join("  ", ds.LabelCounts(s).Select(kv => $"{kv.Key}:{kv.Value}"))}");
        Console.WriteLine("train, real (not all-zero) frames: " + string.Join("  ", scale.Modalities.Select(m =>
            $"{m.Modality.ToString().ToLowerInvariant()} mean {m.PooledMean:F4} sd {m.PooledSd:F4} ({m.Frames} frames)")));
        foreach (var w in warnings) Console.WriteLine($"warning: {w}");
        return 0;
    }

    /// <summary>A CMU-MultimodalSDK .csd: one modality's computational sequence, summarised per video.</summary>
    private static int InspectCsd(string path, bool json)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var csd = CsdReader.Read(path);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var s = csd.Summary();
        JsonObject Spread(Spread x) => new() { ["min"] = Num(x.Min), ["median"] = Num(x.Median), ["max"] = Num(x.Max) };
        if (json)
        {
            var doc = new JsonObject
            {
                ["source"] = Path.GetFullPath(path), ["format"] = "csd", ["root"] = s.RootName, ["videos"] = s.Videos,
                ["feature_dims"] = new JsonArray(s.FeatureDims.Select(d => (JsonNode?)d).ToArray()),
                ["frames_per_video"] = Spread(s.FramesPerVideo), ["interval_span_per_video"] = Spread(s.SpanPerVideo),
                ["metadata"] = new JsonObject(s.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["load_seconds"] = Math.Round(loadSeconds, 3),
            };
            Console.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        string T(Spread x, string f) => $"min {x.Min.ToString(f, CultureInfo.InvariantCulture)}  median {x.Median.ToString(f, CultureInfo.InvariantCulture)}  max {x.Max.ToString(f, CultureInfo.InvariantCulture)}";
        Console.WriteLine($"{Path.GetFullPath(path)}: CMU-MultimodalSDK computational sequence (.csd), one modality; loaded in {loadSeconds:F2} s");
        Console.WriteLine($"root: {s.RootName}");
        Console.WriteLine($"videos: {s.Videos}");
        Console.WriteLine($"feature dim: {(s.FeatureDims.Length == 0 ? "-" : string.Join(", ", s.FeatureDims))}{(s.FeatureDims.Length > 1 ? "  (differs between videos)" : "")}");
        Console.WriteLine($"frames per video: {T(s.FramesPerVideo, "0.#")}");
        Console.WriteLine($"interval span per video (last end - first start): {T(s.SpanPerVideo, "0.###")}");
        Console.WriteLine($"metadata ({s.Metadata.Count}):");
        foreach (var (k, v) in s.Metadata) Console.WriteLine($"  {k}: {(v.Length > 200 ? v[..200] + "..." : v)}");
        return 0;
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static int Synth(CliArgs a)
    {
        var name = a.Positional(1, "NAME of a synthetic set");
        var output = a.Str("out") ?? throw new CliException("data synth needs --out FILE");
        int seed = a.Int("data-seed") ?? 0;
        a.RejectUnknown(2);
        if (!DatasetRegistry.IsSynthetic(name)) throw new CliException($"'{name}' is not an embedded synthetic set: {string.Join(", ", Data.Synthetic.SyntheticCatalog.Names)}");
        if (File.Exists(output)) throw new IOException($"{output} already exists; refusing to overwrite it");
        using var ds = DatasetRegistry.Load(name, seed);
        MmsaPickleWriter.Write(ds, output);
        Console.WriteLine($"wrote {name} (data seed {seed}) to {output} in the MMSA pickle layout ({new FileInfo(output).Length / 1e6:F1} MB)");
        return 0;
    }
}
