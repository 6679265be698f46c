using System.Text.Json.Nodes;
using CorrKD.Cli;
using Xunit;

namespace CorrKD.Tests.EndToEnd;

/// <summary>The command line: exit codes and one-line errors, `data inspect` / `data synth`.</summary>
public class CliTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "corrkd-cli-" + Guid.NewGuid().ToString("N"));
    public void Dispose() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(o); Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void UnknownCommandsAndOptionsGetUsageAndExitCode2()
    {
        var (c1, _, e1) = Run("fly");
        Assert.Equal(2, c1); Assert.Contains("unknown command 'fly'", e1);
        var (c2, _, e2) = Run("teacher", "--dataset", "synthetic-mosi-tiny", "--epoch", "3");
        Assert.Equal(2, c2); Assert.Contains("--epoch", e2); Assert.Contains("usage:", e2);
        var (c3, _, e3) = Run("distill", "--teacher", "x", "--variant", "magic");
        Assert.Equal(2, c3); Assert.Contains("unknown variant 'magic'", e3);
        var (c4, _, e4) = Run("study", "--report-only");
        Assert.Equal(2, c4); Assert.Contains("--report-only needs --resume", e4);
        var (c5, _, e5) = Run("study", "--resume", "/no/such/study", "--report-only");
        Assert.Equal(1, c5); Assert.Contains("/no/such/study/grid.json not found", e5);
    }

    [Fact]
    public void BadDataGetsOneLineErrorNamingIt()
    {
        var (c, _, e) = Run("data", "inspect", "synthetic-mosy");
        Assert.Equal(1, c);
        Assert.Contains("synthetic-mosy", e); Assert.Contains("synthetic-mosi", e);   // lists the known names
        Assert.DoesNotContain("   at ", e);                                           // no stack trace
        var (c2, _, e2) = Run("data", "inspect", "/no/such/file.pkl");
        Assert.Equal(1, c2); Assert.Contains("file not found", e2);
    }

    [Fact]
    public void InspectJsonDescribesEverySplitAndModality()
    {
        var (c, o, _) = Run("data", "inspect", "synthetic-mosi-tiny", "--json");
        Assert.Equal(0, c);
        var doc = JsonNode.Parse(o)!;
        Assert.Equal(64, (int)doc["splits"]!["train"]!["count"]!);
        Assert.Equal(300, (int)doc["splits"]!["train"]!["modalities"]!["language"]!["shape"]![2]!);
        Assert.Equal(0, (int)doc["splits"]!["test"]!["modalities"]!["audio"]!["nan"]!);
    }

    [Fact]
    public void InspectSummarisesACsd_InTextAndJson()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "fixtures", "formats", "covarep_sdk.csd");
        var (c, o, e) = Run("data", "inspect", file);
        Assert.True(c == 0, e);
        Assert.Contains("root: COVAREP", o);
        Assert.Contains("videos: 3", o);
        Assert.Contains("feature dim: 7", o);
        Assert.Contains("frames per video: min 3  median 6  max 9", o);
        Assert.Contains("creator: CorrKD.Kit make_fixtures.py", o);
        var (cj, oj, _) = Run("data", "inspect", file, "--json");
        Assert.Equal(0, cj);
        var doc = JsonNode.Parse(oj)!;
        Assert.Equal(3, (int)doc["videos"]!);
        Assert.Equal(9, (double)doc["frames_per_video"]!["max"]!);
        Assert.Equal("1.0", (string)doc["metadata"]!["dataset version"]!);
    }

    [Fact]
    public void InspectWarnsWhenAModalityIsFarOffScale_NamingItAndTheOption()
    {
        Directory.CreateDirectory(root);
        var file = Path.Combine(root, "scaled.pkl");
        using (var ds = CorrKD.Tests.Data.Features.ScaledAudioData.Make(nTrain: 256, nValid: 8, nTest: 8))
            CorrKD.Data.Formats.MmsaPickleWriter.Write(ds, file);
        var (c, o, _) = Run("data", "inspect", file);
        Assert.Equal(0, c);
        var warning = Assert.Single(o.Split('\n'), l => l.StartsWith("warning:"));
        Assert.StartsWith("warning: audio features: mean", warning);
        Assert.Contains("standardize", warning);
        var (_, oj, _) = Run("data", "inspect", file, "--json");
        Assert.Single(JsonNode.Parse(oj)!["warnings"]!.AsArray());
        // Unit-scale synthetic data: no warning.
        var (_, os, _) = Run("data", "inspect", "synthetic-mosi-tiny");
        Assert.DoesNotContain("warning:", os);
    }

    [Fact]
    public void CudaOnACpuBuildFailsAtOnceNamingTheBuildSwitch()
    {
        if (TorchSharp.torch.cuda.is_available()) return;   // only meaningful on a CPU-only build (every machine here)
        Directory.CreateDirectory(root);
        var (c, _, e) = Run("teacher", "--dataset", "synthetic-mosi-tiny", "--device", "cuda", "--out", Path.Combine(root, "t"));
        Assert.Equal(1, c);
        Assert.Contains("-p:TorchBackend=cuda", e);
        Assert.False(Directory.Exists(Path.Combine(root, "t")));       // nothing was created before failing
        var grid = Path.Combine(root, "g");
        var (cg, _, eg) = Run("grid", "--out", grid, "--datasets", "synthetic-mosi-tiny", "--device", "cuda");
        Assert.Equal(1, cg);
        Assert.Contains("-p:TorchBackend=cuda", eg);
        Assert.False(File.Exists(Path.Combine(grid, "grid.json")));     // the grid failed before writing anything
    }

    [Fact]
    public void SynthWritesAPickleThatInspectReadsBackAndNeverOverwrites()
    {
        Directory.CreateDirectory(root);
        var file = Path.Combine(root, "tiny.pkl");
        Assert.Equal(0, Run("data", "synth", "synthetic-iemocap-tiny", "--out", file).Code);
        var (c, o, _) = Run("data", "inspect", file, "--json");
        Assert.Equal(0, c);
        Assert.Equal("emotion", (string)JsonNode.Parse(o)!["task"]!);
        var (c2, _, e2) = Run("data", "synth", "synthetic-iemocap-tiny", "--out", file);
        Assert.Equal(1, c2); Assert.Contains("refusing to overwrite", e2);
    }
}
