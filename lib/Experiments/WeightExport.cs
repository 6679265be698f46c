using CorrKD.Data;
using CorrKD.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CorrKD.Experiments;

/// <summary>
/// Exports a finished run's selected weights for PyTorch users: safetensors (`safetensors.torch.load_file`) or a
/// PyTorch state dict (`torch.load`). Parameter names are the module field paths, e.g.
/// language.layers.0.qkv.weight; the temporal conv weight has PyTorch Conv1d's (out, in, k) layout.
/// </summary>
public static class WeightExport
{
    public static string Export(string runDir, string? output, string format = "safetensors")
    {
        if (format is not ("safetensors" or "pt")) throw new ArgumentException($"--format must be safetensors or pt, got '{format}'");
        var run = RunFolder.Open(runDir);
        var info = run.ReadJson("run.json");
        using var data = DatasetRegistry.Load((string)info["dataset_arg"]!, (int)info["data_seed"]!);
        var cfg = KitConfig.Parse(run.ReadJson("config.json").ToJsonString(), run.File("config.json"));
        using var model = TrainingRun.LoadModel(run, data, cfg, CPU);
        var path = Path.GetFullPath(output ?? run.File($"model.{format}"));
        if (File.Exists(path)) throw new IOException($"{path} already exists; refusing to overwrite it");
        IO.AtomicFile.Write(path, tmp =>
        {
            if (format == "safetensors") model.save_safetensors(tmp);
            else model.save_py(tmp);
        }, extension: "." + format);
        return path;
    }
}
