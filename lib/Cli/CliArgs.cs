using System.Globalization;

namespace CorrKD.Cli;

/// <summary>
/// Minimal, strict command-line parsing: positionals, `--name value` options and `--flag` switches.
/// Every option a command reads must be declared; anything else is an error that lists the valid ones.
/// </summary>
public sealed class CliArgs
{
    private readonly List<string> positionals = new();
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = new();

    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (!flags.Contains(name))
                {
                    if (i + 1 >= list.Count) throw new CliException($"option --{name} needs a value");
                    value = list[++i];
                }
                if (options.ContainsKey(name)) throw new CliException($"option --{name} given twice");
                options[name] = value;
            }
            else positionals.Add(a);
        }
    }

    public IReadOnlyList<string> Positionals => positionals;

    public string? Str(string name) { read.Add(name); return options.TryGetValue(name, out var v) ? v : null; }
    public string Str(string name, string fallback) => Str(name) ?? fallback;
    public bool Flag(string name) { read.Add(name); return options.ContainsKey(name); }

    public int? Int(string name)
    {
        var s = Str(name);
        if (s == null) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new CliException($"option --{name} expects an integer, got '{s}'");
        return v;
    }

    public double? Double(string name)
    {
        var s = Str(name);
        if (s == null) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new CliException($"option --{name} expects a number, got '{s}'");
        return v;
    }

    /// <summary>Comma-separated list option, e.g. --seeds 0,1,2 or --variants corrkd,no-kd.</summary>
    public string[]? List(string name) => Str(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string Positional(int i, string what)
    {
        if (i >= positionals.Count) throw new CliException($"missing argument: {what}");
        return positionals[i];
    }

    /// <summary>Call after a command has read its options: rejects any option it does not know.</summary>
    public void RejectUnknown(int maxPositionals)
    {
        var unknown = options.Keys.Where(k => !read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new CliException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}; valid here: {string.Join(", ", read.OrderBy(x => x).Select(r => "--" + r))}");
        if (positionals.Count > maxPositionals)
            throw new CliException($"unexpected argument(s): {string.Join(" ", positionals.Skip(maxPositionals))}");
    }
}

/// <summary>A usage error: printed as one line with the usage of the command, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
