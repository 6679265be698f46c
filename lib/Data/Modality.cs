namespace CorrKD.Data;

/// <summary>The three word-aligned modalities, in the order every tensor array of the kit uses.</summary>
public enum Modality { Language = 0, Audio = 1, Vision = 2 }

/// <summary>
/// Which modalities are present (inter-modality protocol). The paper's seven sets are
/// {l}, {a}, {v}, {l,a}, {l,v}, {a,v} and the complete {l,a,v}; "Avg." is the mean over the six incomplete ones.
/// </summary>
public readonly record struct Availability(bool Language, bool Audio, bool Vision)
{
    /// <summary>Short name used in tables and CSVs: l, a, v, la, lv, av, lav.</summary>
    public string Name => (Language ? "l" : "") + (Audio ? "a" : "") + (Vision ? "v" : "");

    public bool Has(Modality m) => m switch
    {
        Modality.Language => Language,
        Modality.Audio => Audio,
        _ => Vision,
    };

    public static readonly Availability Complete = new(true, true, true);

    /// <summary>The six incomplete sets in the paper's column order.</summary>
    public static readonly IReadOnlyList<Availability> Incomplete = new Availability[]
    {
        new(true, false, false), new(false, true, false), new(false, false, true),
        new(true, true, false), new(true, false, true), new(false, true, true),
    };

    /// <summary>All seven sets: the six incomplete ones, then complete.</summary>
    public static readonly IReadOnlyList<Availability> All = Incomplete.Append(Complete).ToArray();

    public static Availability Parse(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n.Length == 0 || n.Any(c => c is not ('l' or 'a' or 'v')) || n.Distinct().Count() != n.Length)
            throw new ArgumentException($"unknown availability set '{name}': expected a combination of l, a, v such as 'l', 'av' or 'lav'");
        return new(n.Contains('l'), n.Contains('a'), n.Contains('v'));
    }

    public override string ToString() => Name;
}
