using System.Runtime.CompilerServices;

namespace CorrKD.Tests;

internal static class TestAllocator
{
    /// <summary>The test host runs with the same malloc settings as the CLI (CORRKD_MALLOC applies here too).</summary>
    [ModuleInitializer]
    internal static void Configure() => CorrKD.Experiments.KitRuntime.ConfigureAllocator();
}
