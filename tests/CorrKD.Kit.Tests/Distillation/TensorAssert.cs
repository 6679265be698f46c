using System.Text.Json;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CorrKD.Tests.Distillation;

/// <summary>Helpers for the distillation tests: tensors from the PyTorch reference JSON, closeness checks.</summary>
internal static class TensorAssert
{
    /// <summary>|actual - expected| <= atol + rtol |expected| everywhere; the message names the worst entry.</summary>
    public static void Close(Tensor expected, Tensor actual, string what, double atol = 1e-5, double rtol = 1e-5)
    {
        using var scope = NewDisposeScope();
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(",", actual.shape)}], expected [{string.Join(",", expected.shape)}]");
        var e = expected.to(ScalarType.Float64).flatten();
        var a = actual.detach().to(ScalarType.Float64).flatten();
        var excess = (a - e).abs() - (atol + rtol * e.abs());
        long worst = excess.argmax().item<long>();
        Assert.True(excess[worst].item<double>() <= 0,
            $"{what}: entry {worst} is {a[worst].item<double>():R}, expected {e[worst].item<double>():R}");
    }

    public static void Close(double expected, Tensor actual, string what, double atol = 1e-5, double rtol = 1e-5)
    {
        double a = actual.ToDouble();
        Assert.True(Math.Abs(a - expected) <= atol + rtol * Math.Abs(expected), $"{what}: {a:R}, expected {expected:R}");
    }

    public static void AllFinite(Tensor t, string what)
    {
        Assert.False(ReferenceEquals(t, null), $"{what}: missing (null)");
        using var finite = t.isfinite().all();
        Assert.True(finite.item<bool>(), $"{what}: contains NaN or infinity");
    }

    /// <summary>A tensor from a JSON number or nested array of numbers.</summary>
    public static Tensor FromJson(JsonElement e, ScalarType dtype = ScalarType.Float32)
    {
        var shape = new List<long>();
        for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0]) shape.Add(cur.GetArrayLength());
        var values = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c);
            else values.Add(x.GetDouble());
        }
        Walk(e);
        return tensor(values.ToArray(), dtype: ScalarType.Float64).reshape(shape.ToArray()).to(dtype);
    }
}

/// <summary>tests/reference/distillation_reference.json, written by distillation_reference.py (PyTorch 1.13.1, float64).</summary>
internal static class DistillationReference
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "reference", "distillation_reference.json");
        Assert.True(File.Exists(path), $"missing {path}: run /usr/bin/python3 tests/reference/distillation_reference.py");
        return JsonDocument.Parse(File.ReadAllText(path));
    });

    public static JsonElement Root => Doc.Value.RootElement;

    /// <summary>The named input set ("K2" or "K4"): hS, hT (6, 5); zS, zT (6, K); y int64 (6,).</summary>
    public static (Tensor hS, Tensor hT, Tensor zS, Tensor zT, Tensor y) Inputs(string name)
    {
        var i = Root.GetProperty("inputs").GetProperty(name);
        return (TensorAssert.FromJson(i.GetProperty("hS")), TensorAssert.FromJson(i.GetProperty("hT")),
            TensorAssert.FromJson(i.GetProperty("zS")), TensorAssert.FromJson(i.GetProperty("zT")),
            TensorAssert.FromJson(i.GetProperty("y"), ScalarType.Int64));
    }

    /// <summary>Copies the reference's statistics-network weights (keys hidden.weight, ...) into a C# network.</summary>
    public static void LoadInto(nn.Module net, JsonElement weights)
    {
        using var _ = no_grad();
        var names = new HashSet<string>();
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.True(weights.TryGetProperty(name, out var w), $"reference has no weights for parameter '{name}'");
            using var src = TensorAssert.FromJson(w);
            p.copy_(src);
            names.Add(name);
        }
        foreach (var prop in weights.EnumerateObject())
            Assert.True(names.Contains(prop.Name), $"reference parameter '{prop.Name}' has no counterpart in the C# network");
    }

    /// <summary>Compares a network's parameter gradients with the reference's.</summary>
    public static void AssertGradients(nn.Module net, JsonElement grads, string what)
    {
        foreach (var (name, p) in net.named_parameters())
        {
            Assert.False(p.grad is null, $"{what}.{name}: no gradient");
            using var expected = TensorAssert.FromJson(grads.GetProperty(name));
            TensorAssert.Close(expected, p.grad!, $"{what}.{name} gradient");
        }
    }
}
