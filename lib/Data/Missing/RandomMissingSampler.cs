using static TorchSharp.torch;

namespace CorrKD.Data.Missing;

/// <summary>
/// The training-time Modality Random Missing (MRM) law (OPEN in the paper; these defaults follow the spec):
/// per sample pick one of the 7 availability sets with <see cref="SetWeights"/>, and with probability
/// <see cref="FrameDropProbability"/> also drop frames of every modality at a per-sample rate r ~ U(MinRate, MaxRate).
/// </summary>
public sealed record RandomMissingOptions
{
    /// <summary>7 non-negative weights in <see cref="Availability.All"/> order (l, a, v, la, lv, av, lav); default uniform.</summary>
    public IReadOnlyList<double> SetWeights { get; init; } = new double[] { 1, 1, 1, 1, 1, 1, 1 };
    public double FrameDropProbability { get; init; } = 0.5;
    public double MinRate { get; init; } = 0.0;
    public double MaxRate { get; init; } = 1.0;

    public void Validate()
    {
        if (SetWeights.Count != 7 || SetWeights.Any(w => w < 0 || double.IsNaN(w)) || SetWeights.Sum() <= 0)
            throw new ArgumentException($"RandomMissingOptions.SetWeights = [{string.Join(", ", SetWeights)}]: expected 7 non-negative weights (order l, a, v, la, lv, av, lav) with a positive sum");
        if (FrameDropProbability is < 0 or > 1 || double.IsNaN(FrameDropProbability))
            throw new ArgumentException($"RandomMissingOptions.FrameDropProbability = {FrameDropProbability}: expected a probability in [0, 1]");
        if (!(MinRate >= 0 && MinRate <= MaxRate && MaxRate <= 1))
            throw new ArgumentException($"RandomMissingOptions.MinRate/MaxRate = {MinRate}/{MaxRate}: expected 0 <= MinRate <= MaxRate <= 1");
    }
}

/// <summary>
/// Applies the MRM law to a batch, vectorised: set index k_i ~ Categorical(w) (torch.multinomial), modality keep
/// mask A[k_i, m] as (B,1,1); frame keep mask 1 - [d_i and u_it &lt; r_i] as (B,T,1) with d_i ~ Bernoulli(p),
/// r_i ~ U(MinRate, MaxRate), u_it ~ U(0,1). Output x'_m = x_m * A[k,m] * keep_m. Deterministic given the generator's
/// state; never modifies its input.
/// </summary>
public sealed class RandomMissingSampler
{
    public RandomMissingOptions Options { get; }

    public RandomMissingSampler(RandomMissingOptions o)
    {
        o.Validate();
        Options = o;
    }

    /// <summary>Corrupted copies of [l, a, v] (each (B, T_m, d_m)). Draw order: set index, drop flag, rate, then per-modality frame uniforms.</summary>
    public Tensor[] Apply(Tensor[] mods, Generator gen) => Apply(mods, gen, out _);

    /// <summary>As <see cref="Apply(Tensor[], Generator)"/>; also returns the chosen set index per sample (index into Availability.All).</summary>
    public Tensor[] Apply(Tensor[] mods, Generator gen, out long[] setIndex)
    {
        MissingModality.CheckModalities(mods);
        using var scope = NewDisposeScope();
        long B = mods[0].shape[0];
        var weights = tensor(Options.SetWeights.ToArray(), ScalarType.Float64);   // host: MRM draws on the CPU generator; the masks follow x below
        var k = multinomial(weights, B, replacement: true, generator: gen);                      // (B)  host: CPU generator
        var table = tensor(Availability.All.SelectMany(a => new[] { a.Language ? 1f : 0f, a.Audio ? 1f : 0f, a.Vision ? 1f : 0f }).ToArray(), new long[] { 7, 3 });   // host: indexed by k (CPU)
        var avail = table.index_select(0, k);                                                     // (B, 3)
        var doDrop = rand(new long[] { B }, generator: gen) < Options.FrameDropProbability;         // (B)  host: CPU generator
        var rate = Options.MinRate + (Options.MaxRate - Options.MinRate) * rand(new long[] { B }, generator: gen); // (B)  host: CPU generator
        var outs = new Tensor[3];
        for (int m = 0; m < 3; m++)
        {
            var x = mods[m];
            var u = rand(new long[] { B, x.shape[1] }, generator: gen);                           // (B, T)  host: CPU generator; keep moves to x.device
            var dropped = doDrop.unsqueeze(1).logical_and(u < rate.unsqueeze(1));                  // (B, T)
            var keep = dropped.logical_not().to(x.dtype).unsqueeze(-1) * avail[.., m].to(x.dtype).view(B, 1, 1); // (B, T, 1)
            outs[m] = (x * keep.to(x.device)).MoveToOuterDisposeScope();
        }
        setIndex = k.data<long>().ToArray();
        return outs;
    }
}
