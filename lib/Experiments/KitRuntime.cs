using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Experiments;

/// <summary>Device and thread choices, made once per process and recorded in every run.</summary>
public static class KitRuntime
{
    /// <summary>auto: CUDA when this build has a CUDA backend and a GPU is visible, else CPU.</summary>
    public static Device ResolveDevice(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA
            : throw new ArgumentException("--device cuda: no CUDA device available (this build uses the CPU libtorch unless built with -p:TorchBackend=cuda)"),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new ArgumentException($"--device must be auto, cpu or cuda, got '{name}'"),
    };

    /// <summary>Sets libtorch's intra-op threads; 0 = all cores. A fixed count is part of CPU reproducibility.</summary>
    public static int SetThreads(int threads)
    {
        if (threads < 0) throw new ArgumentException($"--threads must be >= 0, got {threads}");
        int n = threads == 0 ? Environment.ProcessorCount : threads;
        torch.set_num_threads(n);
        return n;
    }
}
