// The first cell of every notebook runs this (#load "load-kit.csx") before `#r "nuget: CorrKD.Kit, *-*"`.
// It makes sure notebooks/.feed holds a CorrKD.Kit package built from this checkout's lib/: when the feed is
// empty (a fresh clone that was never built) or older than lib/, it runs `dotnet build CorrKD.Kit.csproj`, whose
// build/LocalFeed.targets packs the kit into the feed. It prints one line saying what it found or did.
// Plain C# on purpose: the kit cannot help before it is loaded.
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

static class KitFeed
{
    static readonly string[] InputPatterns = { "lib/*.cs", "data/configs/*.json", "build/*.targets", "CorrKD.Kit.csproj", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" };

    public static string Ensure()
    {
        var root = Root();
        var feed = Path.Combine(root, "notebooks", ".feed");
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "CorrKD.Kit");
        var (fresh, version) = Check(root, feed);
        if (fresh) return loaded is null
            ? $"CorrKD.Kit {version} in notebooks/.feed is current with lib/."
            : $"CorrKD.Kit {version} is current; this kernel already loaded it.";
        if (loaded is not null)
            return $"lib/ changed after this kernel loaded CorrKD.Kit: run `dotnet build CorrKD.Kit.csproj` in {root}, then restart the kernel.";
        var clock = Stopwatch.StartNew();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var psi = new ProcessStartInfo(File.Exists(dotnet) ? dotnet : "dotnet",
            $"build \"{Path.Combine(root, "CorrKD.Kit.csproj")}\" -c Release -nologo -v q -clp:ErrorsOnly")
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        using var p = Process.Start(psi);
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        (fresh, version) = Check(root, feed);
        if (p.ExitCode != 0 || !fresh)
            throw new InvalidOperationException($"notebooks/.feed has no current CorrKD.Kit package and `dotnet build CorrKD.Kit.csproj` " +
                $"(exit {p.ExitCode}) did not make one. Run it in {root} to see why:\n{output}{err.Result}");
        return $"notebooks/.feed had no current CorrKD.Kit package: built and packed {version} in {clock.Elapsed.TotalSeconds:F0} s.";
    }

    /// <summary>Fresh: a package is there and the feed's stamp is not older than any input of the kit.</summary>
    static (bool Fresh, string Version) Check(string root, string feed)
    {
        var stamp = Path.Combine(feed, ".packed");
        var package = Directory.Exists(feed) ? Directory.GetFiles(feed, "CorrKD.Kit.*.nupkg").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault() : null;
        if (package is null || !File.Exists(stamp)) return (false, "");
        var newest = InputPatterns.SelectMany(p => Directory.GetFiles(Path.Combine(root, Path.GetDirectoryName(p)), Path.GetFileName(p),
                p.StartsWith("lib/") ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
            .Select(File.GetLastWriteTimeUtc).Max();
        var version = Path.GetFileNameWithoutExtension(package).Substring("CorrKD.Kit.".Length);
        return (File.GetLastWriteTimeUtc(stamp) >= newest, version);
    }

    /// <summary>$CORRKD_ROOT, else the nearest folder at or above the notebook's folder that holds CorrKD.Kit.csproj.</summary>
    static string Root()
    {
        var env = Environment.GetEnvironmentVariable("CORRKD_ROOT");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CorrKD.Kit.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException($"no CorrKD.Kit.csproj at or above {Directory.GetCurrentDirectory()}: open the notebook from the repository's notebooks/ folder");
    }
}

Console.WriteLine(KitFeed.Ensure());
