using TorchSharp;
using static TorchSharp.torch;

namespace CorrKD.Distillation;

/// <summary>Argument checks shared by the distillation terms: wrong shapes fail with the argument name and the shapes seen.</summary>
internal static class ShapeChecks
{
    public static string Shape(Tensor t) => "[" + string.Join(",", t.shape) + "]";

    /// <summary>A floating (N, D) matrix with N >= 1.</summary>
    public static void Matrix(Tensor t, string name)
    {
        if (t.dim() != 2 || t.shape[0] < 1)
            throw new ArgumentException($"{name}: expected shape (N, D) with N >= 1, got {Shape(t)}");
        if (!t.is_floating_point())
            throw new ArgumentException($"{name}: expected a floating tensor, got {t.dtype}");
    }

    /// <summary>Student and teacher tensors must agree in shape.</summary>
    public static void Pair(Tensor student, string sName, Tensor teacher, string tName)
    {
        Matrix(student, sName);
        Matrix(teacher, tName);
        if (!student.shape.SequenceEqual(teacher.shape))
            throw new ArgumentException($"{sName} {Shape(student)} and {tName} {Shape(teacher)} must have the same shape");
    }

    /// <summary>Labels: int64 of shape (N,), every value in [0, K).</summary>
    public static void Labels(Tensor y, long n, long numClasses, string name = "y")
    {
        if (y.dtype != ScalarType.Int64)
            throw new ArgumentException($"{name}: expected int64 class indices, got {y.dtype}");
        if (y.dim() != 1 || y.shape[0] != n)
            throw new ArgumentException($"{name}: expected shape ({n},), got {Shape(y)}");
        if (n == 0) return;
        long lo = y.min().item<long>(), hi = y.max().item<long>();
        if (lo < 0 || hi >= numClasses)
            throw new ArgumentException($"{name}: class indices must lie in [0, {numClasses}), found [{lo}, {hi}]");
    }
}
