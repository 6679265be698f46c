using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CorrKD.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Training;

/// <summary>
/// A training checkpoint folder: one TorchSharp weight file per module (model.bin, then aux0.bin, ... for the
/// RCD statistics networks), optimizer.bin, and state.json (epoch, scheduler, best score, history, config,
/// data fingerprint). Written into a temporary sibling folder and renamed into place, so a kill mid-write
/// never leaves a half checkpoint.
/// </summary>
public static class Checkpoint
{
    public const string StateFile = "state.json";

    public static void Save(string dir, IReadOnlyList<nn.Module> modules, TorchSharp.Modules.OptimizerHelper? optimizer, JsonObject state)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, "." + Path.GetFileName(dir) + ".tmp-" + Environment.ProcessId);
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        for (int i = 0; i < modules.Count; i++) modules[i].save(Path.Combine(tmp, ModuleFile(i)));
        optimizer?.save_state_dict(Path.Combine(tmp, "optimizer.bin"));
        File.WriteAllText(Path.Combine(tmp, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var old = dir + ".old-" + Environment.ProcessId;
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(tmp, dir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>
    /// A number for state.json. JSON has no NaN or infinity, yet a validation metric can be undefined (the
    /// correlation of constant predictions is NaN) and the trainer starts from ±infinity; those are written as the
    /// strings "NaN", "Infinity", "-Infinity" so that <see cref="ToDouble"/> reads back exactly what was saved.
    /// </summary>
    public static JsonNode Number(double v) =>
        double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Reads a number written by <see cref="Number"/>.</summary>
    public static double ToDouble(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var d) && !double.IsFinite(d) => d,
        _ => throw new InvalidDataException($"checkpoint state: expected a number, got {node?.ToJsonString() ?? "null"}"),
    };

    public static string ModuleFile(int i) => i == 0 ? "model.bin" : $"aux{i - 1}.bin";

    public static bool Exists(string dir) => File.Exists(Path.Combine(dir, StateFile));

    public static JsonObject ReadState(string dir)
    {
        var f = Path.Combine(dir, StateFile);
        if (!File.Exists(f)) throw new FileNotFoundException($"no checkpoint in {dir} (missing {StateFile})", f);
        try { return JsonNode.Parse(File.ReadAllText(f))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new InvalidDataException($"{f}: corrupt checkpoint state: {e.Message}", e); }
    }

    /// <summary>Loads weights (and optimizer state when given) saved by <see cref="Save"/>.</summary>
    public static void LoadWeights(string dir, IReadOnlyList<nn.Module> modules, TorchSharp.Modules.OptimizerHelper? optimizer = null)
    {
        for (int i = 0; i < modules.Count; i++)
        {
            var f = Path.Combine(dir, ModuleFile(i));
            if (!File.Exists(f)) throw new FileNotFoundException($"checkpoint {dir} lacks {ModuleFile(i)}", f);
            try { modules[i].load(f, strict: true); }
            catch (Exception e) when (e is not FileNotFoundException)
            { throw new InvalidDataException($"{f}: weights do not fit this model ({e.Message}); was the checkpoint made with another config or data set?", e); }
        }
        var o = Path.Combine(dir, "optimizer.bin");
        if (optimizer != null && File.Exists(o)) optimizer.load_state_dict(o);
    }

    /// <summary>
    /// SHA-256 over every tensor's bytes, labels and ids of all splits: a checkpoint is only reused on the very
    /// same data. Costs ~0.3 s for a MOSI-size set.
    /// </summary>
    public static string Fingerprint(MsaDataset ds)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var s in ds.Splits)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(s.Name));
            foreach (var t in s.Modalities)
            {
                foreach (var d in t.shape) sha.AppendData(BitConverter.GetBytes(d));
                for (long start = 0; start < t.shape[0]; start += 256)   // chunked: never one giant managed copy
                {
                    using var part = t.narrow(0, start, Math.Min(256, t.shape[0] - start)).contiguous();
                    sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(part.data<float>().ToArray().AsSpan()));
                }
            }
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.Labels.AsSpan()));
            foreach (var id in s.Ids) sha.AppendData(System.Text.Encoding.UTF8.GetBytes(id + "\n"));
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()[..16];
    }
}
