using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Experiments;

/// <summary>Device, thread and allocator choices, made once per process and recorded in every run.</summary>
public static class KitRuntime
{
    /// <summary>Environment variable that picks the allocator mode: "tuned" (default) or "glibc" (leave glibc alone).</summary>
    public const string AllocatorVariable = "CORRKD_MALLOC";

    /// <summary>
    /// The "tuned" glibc malloc settings (mallopt parameter, value, the same setting as a GLIBC_TUNABLES name).
    /// libtorch allocates every intermediate with malloc; a student step at batch 128 makes many 1-13 MB
    /// tensors. With glibc's defaults those sit around the mmap threshold and freed memory goes back to the
    /// kernel, so ops keep paying fresh page faults. Raising the mmap threshold to its ceiling (32 MiB), the trim
    /// threshold to 1 GiB and padding heap growth by 256 MiB keeps the pages mapped. Measured with
    /// bench/allocator-compare.sh (README "Measured"): +54-58% samples/s at batch 128 and a ~2x faster eval sweep,
    /// but 13-20% slower on the small-batch shapes (MOSEI B 16, IEMOCAP B 32), where CORRKD_MALLOC=glibc is better.
    /// Numerics are untouched.
    /// </summary>
    public static readonly (int Param, int Value, string Tunable)[] TunedMalloc =
    {
        (-3 /* M_MMAP_THRESHOLD */, 32 << 20, "glibc.malloc.mmap_threshold"),
        (-1 /* M_TRIM_THRESHOLD */, 1 << 30, "glibc.malloc.trim_threshold"),
        (-2 /* M_TOP_PAD */, 256 << 20, "glibc.malloc.top_pad"),
    };

    /// <summary>"tuned" or "glibc": what <see cref="ConfigureAllocator"/> last applied in this process.</summary>
    public static string Allocator { get; private set; } = "glibc";

    /// <summary>
    /// Applies the allocator mode: <paramref name="mode"/>, else CORRKD_MALLOC, else "tuned". Only glibc on Linux
    /// is tuned (mallopt); elsewhere this records "glibc" and does nothing. Idempotent; call before heavy work.
    /// Tuning cannot be undone in a process (glibc's dynamic threshold does not come back): after "tuned",
    /// "glibc" changes nothing and the recorded mode stays "tuned". For glibc's defaults start with CORRKD_MALLOC=glibc.
    /// </summary>
    public static string ConfigureAllocator(string? mode = null)
    {
        mode ??= Environment.GetEnvironmentVariable(AllocatorVariable) is { Length: > 0 } v ? v : "tuned";
        mode = mode.ToLowerInvariant();
        if (mode is not ("tuned" or "glibc"))
            throw new ArgumentException($"{AllocatorVariable}={mode}: expected 'tuned' or 'glibc'");
        if (Allocator == "tuned") return Allocator;
        if (mode == "tuned" && OperatingSystem.IsLinux())
        {
            try
            {
                foreach (var (param, value, tunable) in TunedMalloc)
                    if (mallopt(param, value) != 1) throw new InvalidOperationException($"mallopt refused {tunable}={value}");
                return Allocator = "tuned";
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { /* not glibc (musl): leave it */ }
        }
        return Allocator = "glibc";
    }

    /// <summary>The GLIBC_TUNABLES value equal to the tuned mode, for child processes (the PyTorch bench).</summary>
    public static string GlibcTunables => string.Join(":", TunedMalloc.Select(t => $"{t.Tunable}={t.Value}"));

    [DllImport("libc.so.6", EntryPoint = "mallopt")]   // glibc by soname ("libc.so" may be a linker script)
    private static extern int mallopt(int param, int value);

    /// <summary>
    /// Hands the memory a finished run freed back to the system: collects (tensors left to the finaliser free their
    /// native storage), then, on glibc, malloc_trim(0), which returns every free page of the malloc heap, not only its
    /// top. The tuned trim threshold (1 GiB) keeps a run's freed tensor memory mapped for the next step's reuse; that
    /// is right inside a run, but a process that trains run after run (a grid worker, a notebook) then carried ~0.6 GB
    /// of freed pages into the next run's data loading, and its peak climbed run by run (a worker measured 2.1 GB
    /// where one run needs 1.1 GB). Called once per run (<see cref="TrainingRun"/>): the next run faults its pages
    /// back in, a fraction of a second against minutes of training. Numerics are untouched.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (!OperatingSystem.IsLinux()) return;
        try { malloc_trim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { /* not glibc (musl): nothing to trim */ }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    /// <summary>
    /// The CPU class that decides a CPU run's bits besides the build, the seeds and the thread count: vendor and widest
    /// vector set, e.g. "intel-avx512" or "amd-avx2" ("unknown" without /proc/cpuinfo). libtorch picks its kernels by
    /// the CPU it finds — its own vectorised kernels (softmax, layer norm, reductions) by instruction set, and the MKL
    /// it links statically its GEMM kernels by vendor and instruction set — and the vector width changes the order of
    /// every sum: the smoke reproduction made on an Intel CPU with AVX-512 differed from the same build's rerun on an
    /// AMD EPYC with AVX2 in 1,799 of 27,252 values. Pinning both to common paths does not close that gap: MKL's
    /// reproducibility switch (MKL_CBWR=AVX2) applies on Intel CPUs only (elsewhere MKL falls back to its automatic
    /// branch), and its vendor-neutral branch (COMPATIBLE, SSE2) made a training epoch 30% slower here. So the kit
    /// leaves libtorch's choice alone, records the class in run.json, and keeps one reference per class
    /// (<see cref="ReferenceResults.For"/>). Classes are a conservative split: two classes may give the same bits for
    /// some work, which a reference's CPU-CLASS file then records (<see cref="ReferenceResults.ClassesOf"/>). An AMD EPYC
    /// with AVX-512 reran the AMD AVX2 references (attention kernel) bit for bit, but not a study teacher trained with
    /// the libtorch-ops attention (49 of 217 values differed). libtorch ran its AVX2 kernels on both, so the likely
    /// cause is MKL's path for the ops' tiny per-head products, which the kernel replaces (not isolated).
    /// </summary>
    public static string CpuClass => cpu.Value.Vendor == "?" || cpu.Value.Isa == "?" ? "unknown" : $"{cpu.Value.Vendor}-{cpu.Value.Isa}";

    private static readonly Lazy<(string Vendor, string Model, string Isa)> cpu = new(CpuInfo);   // read once per process

    /// <summary>(vendor "intel" | "amd" | other vendor id | "?", model name, widest vector set "avx512" | "avx2" | "sse" | "?").</summary>
    private static (string Vendor, string Model, string Isa) CpuInfo()
    {
        try
        {
            var info = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();   // the first processor's block
            string Field(string name) => info.FirstOrDefault(l => l.StartsWith(name))?.Split(':', 2)[1].Trim() ?? "";
            var vendor = Field("vendor_id") switch { "GenuineIntel" => "intel", "AuthenticAMD" => "amd", "" => "?", var v => v.ToLowerInvariant() };
            var flags = Field("flags").Split(' ').ToHashSet();
            var isa = flags.Contains("avx512f") ? "avx512" : flags.Contains("avx2") ? "avx2" : flags.Count > 1 ? "sse" : "?";
            return (vendor, Field("model name") is { Length: > 0 } m ? m : "?", isa);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ("?", "?", "?"); }
    }

    /// <summary>libtorch's and MKL's dispatch variables, recorded when set (they change a run's bits).</summary>
    public static readonly string[] NumericsVariables = { "ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS" };

    /// <summary>For run.json: the CPU class and model, and any of <see cref="NumericsVariables"/> that is set.</summary>
    public static System.Text.Json.Nodes.JsonObject Numerics()
    {
        var o = new System.Text.Json.Nodes.JsonObject { ["cpu_class"] = CpuClass, ["cpu"] = cpu.Value.Model };
        foreach (var name in NumericsVariables)
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v) o[name] = v;
        return o;
    }

    /// <summary>"cpu" or "cuda": the native backend this build references (the TorchBackend build property).</summary>
    public static string TorchBackend { get; } = typeof(KitRuntime).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>auto: CUDA when this build has a CUDA backend and a GPU is visible, else CPU. "cuda" fails at once
    /// (before any folder is made) when no CUDA device is usable, naming the build switch.</summary>
    public static Device ResolveDevice(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new ArgumentException(TorchBackend == "cuda"
            ? "--device cuda: this is a CUDA build (-p:TorchBackend=cuda) but libtorch sees no CUDA device; check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES, or use --device cpu"
            : "--device cuda: this build references the CPU libtorch; rebuild with `dotnet build -c Release -p:TorchBackend=cuda` " +
              "(Linux x64, package TorchSharp-cuda-linux; see README \"Running on a GPU\"), or use --device cpu"),
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
