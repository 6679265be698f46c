using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CorrKD.Distillation;

/// <summary>
/// Statistics network T(x, y) of a Jensen-Shannon mutual-information estimator: an MLP on the concatenation,
/// Linear(2k, H) -> ReLU -> Linear(H, 1). It is trained jointly with the student (its parameters go to the
/// student's optimizer), so the estimate tightens while the student maximises it.
/// </summary>
public sealed class JsdStatisticsNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are the state-dict names: hidden.weight, hidden.bias, output.weight, output.bias.
    private readonly Linear hidden;
    private readonly Linear output;

    /// <summary>Width k of each input (x and y are (N, k)).</summary>
    public int PartSize { get; }

    public JsdStatisticsNetwork(int partSize, int hiddenSize, string name = "JsdStatisticsNetwork") : base(name)
    {
        if (partSize < 1) throw new ArgumentException($"partSize = {partSize}: must be >= 1");
        if (hiddenSize < 1) throw new ArgumentException($"hiddenSize = {hiddenSize}: must be >= 1");
        PartSize = partSize;
        hidden = nn.Linear(2 * partSize, hiddenSize);
        output = nn.Linear(hiddenSize, 1);
        RegisterComponents();
    }

    /// <summary>T(x_i, y_i) for each row: x, y (N, k) -> (N,).</summary>
    public override Tensor forward(Tensor x, Tensor y)
        => output.forward(F.relu(hidden.forward(cat(new[] { x, y }, 1)))).squeeze(1);

    /// <summary>
    /// MI_JSD(x; y) = mean_i[-softplus(-T(x_i, y_i))] - mean_i[softplus(T(x_i, y_pi(i)))]: joint pairs against
    /// pairs whose y is shuffled by the permutation pi (int64 (N,)), which samples the product of marginals.
    /// </summary>
    public Tensor MutualInformation(Tensor x, Tensor y, Tensor permutation)
    {
        using var scope = NewDisposeScope();
        var joint = -F.softplus(-forward(x, y)).mean();
        var marginal = F.softplus(forward(x, y.index_select(0, permutation))).mean();
        return (joint - marginal).MoveToOuterDisposeScope();
    }
}

/// <summary>The RCD loss and the two mutual-information estimates it is built from (scalars).</summary>
public sealed record RcdTerms(Tensor Loss, Tensor TargetMi, Tensor NonTargetMi);

/// <summary>
/// RCD, response-disentangled consistency distillation: the logits' response is split into a target part
/// (how sure the model is of the true class) and a non-target part (how it spreads the rest), and for each
/// part the teacher-student mutual information is maximised with a Jensen-Shannon estimator.
/// </summary>
public sealed class ResponseConsistencyDistillation : nn.Module
{
    private readonly JsdStatisticsNetwork targetStatistics;
    private readonly JsdStatisticsNetwork? nonTargetStatistics;   // null for K = 2: see NonTargetPartActive

    public int NumClasses { get; }
    public double Temperature { get; }
    public double TargetWeight { get; }
    public double NonTargetWeight { get; }

    /// <summary>
    /// False when K = 2: the single non-target class gives q_i = [1] for every sample, a constant with no
    /// information, so MI(q^t, q^s) is skipped and reported as exactly 0 (no statistics network exists for it).
    /// </summary>
    public bool NonTargetPartActive => nonTargetStatistics is not null;

    /// <summary>A sentence for logs and notebooks when the non-target part is inactive, otherwise null.</summary>
    public string? InactiveNote => NonTargetPartActive ? null
        : $"RCD non-target part inactive for K={NumClasses}: one non-target class gives q = [1] for every sample, so MI(q^t, q^s) is fixed at 0.";

    /// <param name="numClasses">K >= 2</param>
    /// <param name="temperature">tau (OPEN, default 1)</param>
    /// <param name="targetWeight">w_t (OPEN, default 1)</param>
    /// <param name="nonTargetWeight">w_nt (OPEN, default 1)</param>
    /// <param name="hiddenSize">width of each statistics network (OPEN, default 32)</param>
    public ResponseConsistencyDistillation(int numClasses, double temperature = 1.0, double targetWeight = 1.0,
        double nonTargetWeight = 1.0, int hiddenSize = 32) : base(nameof(ResponseConsistencyDistillation))
    {
        if (numClasses < 2) throw new ArgumentException($"numClasses = {numClasses}: RCD needs K >= 2");
        if (!(temperature > 0)) throw new ArgumentException($"temperature = {temperature}: must be > 0");
        NumClasses = numClasses;
        Temperature = temperature;
        TargetWeight = targetWeight;
        NonTargetWeight = nonTargetWeight;
        targetStatistics = new JsdStatisticsNetwork(2, hiddenSize, "TargetStatistics");
        nonTargetStatistics = numClasses - 1 > 1 ? new JsdStatisticsNetwork(numClasses - 1, hiddenSize, "NonTargetStatistics") : null;
        RegisterComponents();
    }

    /// <summary>RCD with tau, part weights and hidden size taken from <paramref name="options"/>.</summary>
    public ResponseConsistencyDistillation(int numClasses, DistillationOptions options)
        : this(numClasses, options.RcdTemperature, options.RcdTargetWeight, options.RcdNonTargetWeight, options.RcdHiddenSize) { }

    /// <summary>Statistics network of the target part (input 2 + 2).</summary>
    public JsdStatisticsNetwork TargetStatistics => targetStatistics;
    /// <summary>Statistics network of the non-target part (input 2(K-1)); null when K = 2.</summary>
    public JsdStatisticsNetwork? NonTargetStatistics => nonTargetStatistics;

    /// <summary>
    /// Target part b_i = [p_{i,y_i}, 1 - p_{i,y_i}] with p = softmax(z / tau). z (N, K), y int64 (N,) -> (N, 2).
    /// </summary>
    public static Tensor TargetPart(Tensor z, Tensor y, double temperature)
    {
        using var scope = NewDisposeScope();
        var pTarget = F.softmax(z / temperature, 1).gather(1, y.unsqueeze(1));   // (N, 1)
        return cat(new[] { pTarget, 1.0 - pTarget }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Non-target part q_i = softmax over c != y_i of z_{i,c} / tau, classes kept in index order.
    /// z (N, K), y int64 (N,) -> (N, K-1). The column index is built by masking out y_i from 0..K-1.
    /// </summary>
    public static Tensor NonTargetPart(Tensor z, Tensor y, double temperature)
    {
        using var scope = NewDisposeScope();
        long n = z.shape[0], k = z.shape[1];
        var isTarget = F.one_hot(y, k).to(ScalarType.Bool);                                    // (N, K)
        var columns = arange(k, dtype: ScalarType.Int64, device: z.device).expand(n, k);
        var nonTargetIndex = columns.masked_select(isTarget.logical_not()).view(n, k - 1);     // (N, K-1)
        return F.softmax(z.gather(1, nonTargetIndex) / temperature, 1).MoveToOuterDisposeScope();
    }

    /// <summary>RCD with the shuffle pi drawn from <paramref name="generator"/> (one permutation for both parts).</summary>
    public RcdTerms Compute(Tensor zS, Tensor zT, Tensor y, Generator generator)
    {
        ShapeChecks.Matrix(zS, "zS");
        using var perm = randperm(zS.shape[0], generator: generator);   // host: CPU generator; moved to zS.device below
        return Compute(zS, zT, y, perm);
    }

    /// <summary>
    /// L_RCD = -(w_t MI_JSD(b^t; b^s) + w_nt MI_JSD(q^t; q^s)); the second term is exactly 0 when K = 2.
    /// zS, zT: student / teacher logits (N, K); y: int64 (N,); permutation: int64 (N,), the shuffle pi used for
    /// the marginal samples of both parts. The teacher is a fixed target (detached).
    /// </summary>
    public RcdTerms Compute(Tensor zS, Tensor zT, Tensor y, Tensor permutation)
    {
        ShapeChecks.Pair(zS, "zS", zT, "zT");
        if (zS.shape[1] != NumClasses)
            throw new ArgumentException($"zS {ShapeChecks.Shape(zS)}: expected {NumClasses} classes (the RCD module was built for K={NumClasses})");
        long n = zS.shape[0];
        ShapeChecks.Labels(y, n, NumClasses);
        CheckPermutation(permutation, n);

        using var scope = NewDisposeScope();
        var t = zT.detach();
        var perm = permutation.to(zS.device);
        var targetMi = targetStatistics.MutualInformation(
            TargetPart(t, y, Temperature), TargetPart(zS, y, Temperature), perm);
        var nonTargetMi = nonTargetStatistics is null
            ? zeros(new long[0], dtype: zS.dtype, device: zS.device)
            : nonTargetStatistics.MutualInformation(NonTargetPart(t, y, Temperature), NonTargetPart(zS, y, Temperature), perm);
        var loss = -(TargetWeight * targetMi + NonTargetWeight * nonTargetMi);
        return new RcdTerms(loss.MoveToOuterDisposeScope(), targetMi.MoveToOuterDisposeScope(), nonTargetMi.MoveToOuterDisposeScope());
    }

    private static void CheckPermutation(Tensor permutation, long n)
    {
        if (permutation.dtype != ScalarType.Int64 || permutation.dim() != 1 || permutation.shape[0] != n)
            throw new ArgumentException($"permutation: expected int64 shape ({n},), got {permutation.dtype} {ShapeChecks.Shape(permutation)}");
        using var scope = NewDisposeScope();
        var sorted = permutation.sort().Values;
        var expected = arange(n, dtype: ScalarType.Int64, device: permutation.device);
        if (!sorted.eq(expected).all().item<bool>())
            throw new ArgumentException($"permutation: must hold each of 0..{n - 1} exactly once");
    }
}
