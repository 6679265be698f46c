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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var ds = DatasetRegistry.Load(what, seed);
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var summary = ds.Summary();
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
        return 0;
    }

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
