using System.Text.RegularExpressions;
using Xunit;

namespace CorrKD.Tests.Training;

/// <summary>
/// Device discipline without a GPU. Every machine here is CPU-only, so a tensor made on the wrong device cannot be
/// caught at run time: CPU is the only device with data (libtorch's "meta" device was tried and is no substitute:
/// meta tensors mix with CPU tensors without complaint, LayerNorm has no meta kernel and weights cannot be loaded into
/// it). What can be checked is the source: in the code a training step, a validation pass, the evaluation sweep and a
/// checkpoint round trip run (lib/Training, lib/Distillation, lib/Evaluation, lib/Model, lib/Data/Missing), every
/// tensor factory call either names its device (`device:`) or carries a `host:` comment with the reason it belongs on the
/// CPU (indices into CPU-held data, masks built on the CPU and moved afterwards, parameter init before module.to()),
/// and every explicit CPU placement (torch.CPU, .cpu()) is marked the same way. A new `zeros(n)` in a loss, made on the CPU while the
/// model is on CUDA, fails this test. It cannot catch a tensor that is moved to the wrong device by a computed
/// device, or a CUDA-only failure inside libtorch: those need a GPU run (README, "Running on a GPU").
/// </summary>
public sealed class DevicePlacementAuditTests
{
    private static readonly string[] HotPaths = { "lib/Training", "lib/Distillation", "lib/Evaluation", "lib/Model", "lib/Data/Missing" };

    /// <summary>TorchSharp factories that make a new tensor (the *_like forms inherit their input's device and are fine).</summary>
    private static readonly Regex Factory = new(@"(?<![\w.])(?:torch\.)?(tensor|zeros|ones|full|empty|arange|rand|randn|randint|randperm|eye|linspace|multinomial)\(",
        RegexOptions.Compiled);
    private static readonly Regex CpuPlacement = new(@"(?<![\w""])(?:torch\.)?CPU\b|\.cpu\(\)", RegexOptions.Compiled);

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CorrKD.Kit.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException($"no CorrKD.Kit.csproj above {AppContext.BaseDirectory}");
    }

    /// <summary>The argument text of the call whose '(' is at <paramref name="open"/> (balanced parentheses).</summary>
    private static string Arguments(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return text[(open + 1)..i];
        }
        return text[(open + 1)..];
    }

    /// <summary>Unmarked factory calls without a device and unmarked CPU placements in one source text, as "line: code".</summary>
    public static List<string> Findings(string source)
    {
        var lines = source.Split('\n');
        var found = new List<string>();
        int offset = 0;
        for (int n = 0; n < lines.Length; offset += lines[n].Length + 1, n++)
        {
            var line = lines[n];
            int comment = line.IndexOf("//", StringComparison.Ordinal);
            var code = comment < 0 ? line : line[..comment];
            if (line.TrimStart().StartsWith("///") || (comment >= 0 && line[comment..].Contains("host:"))) continue;
            foreach (Match m in Factory.Matches(code))
                if (!Arguments(source, offset + m.Index + m.Length - 1).Contains("device:"))
                    found.Add($"{n + 1}: {line.Trim()}");
            if (CpuPlacement.IsMatch(code)) found.Add($"{n + 1}: {line.Trim()}");
        }
        return found.Distinct().ToList();
    }

    [Fact]
    public void EveryTensorInTheHotPathsNamesItsDeviceOrSaysWhyItIsOnTheHost()
    {
        var root = Root();
        var problems = HotPaths.SelectMany(dir => Directory.EnumerateFiles(Path.Combine(root, dir), "*.cs", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Findings(File.ReadAllText(f)).Select(x => $"{Path.GetRelativePath(root, f)}:{x}"))
            .ToList();
        Assert.True(problems.Count == 0,
            "tensors made without a device (add device: ..., or mark the line `// host: why`):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void TheAuditFindsWhatItIsFor()
    {
        Assert.Single(Findings("var z = zeros(new long[] { n, k });"));
        Assert.Single(Findings("var z = torch.ones(n, 3,\n    dtype: ScalarType.Float32);"));       // arguments over two lines
        Assert.Single(Findings("var x = batch.to(torch.CPU);"));
        Assert.Single(Findings("var p = logits.cpu();"));
        Assert.Empty(Findings("var z = zeros(n, k, device: x.device);"));
        Assert.Empty(Findings("var z = zeros(\n    n, k, device: x.device);"));
        Assert.Empty(Findings("var z = zeros_like(x); var s = x.sum(); var r = module.tensor_count(x);"));
        Assert.Empty(Findings("using var idx = tensor(batch, ScalarType.Int64);   // host: indexes CPU-held data"));
        Assert.Empty(Findings("var u = rand(new long[] { B }, generator: gen);   // (B)  host: CPU generator"));
        Assert.Empty(Findings("/// <summary>zeros(n) on the CPU</summary>"));
    }
}
