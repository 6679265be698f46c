using System.Text.Json;

namespace CorrKD.Tests.Data.Loaders;

/// <summary>Paths of the committed format fixtures and the numbers data/tools/make_fixtures.py stored next to them.</summary>
internal static class Fixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "formats");
    public static string File(string name) => Path.Combine(Dir, name);
    public static string Broken(string name) => Path.Combine(Dir, "broken", name);

    private static readonly Lazy<JsonElement> _expected = new(() =>
        JsonDocument.Parse(System.IO.File.ReadAllText(File("expected.json"))).RootElement);
    public static JsonElement Expected(string file) => _expected.Value.GetProperty(file);

    /// <summary>A fresh temp folder per test, removed by the caller.</summary>
    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "corrkd-loaders-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
