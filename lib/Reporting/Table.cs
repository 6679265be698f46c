using CorrKD.IO;
using System.Text;

namespace CorrKD.Reporting;

/// <summary>A group of rows printed together; blocks are separated by a rule, a non-empty Label heads the block.</summary>
public sealed record TableBlock(string Label, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// A finished table (cells already formatted) that renders to Markdown, CSV and LaTeX (booktabs). Name is the file
/// stem used by <see cref="Write"/>; Notes are footnotes printed under the table.
/// </summary>
public sealed record Table(string Name, string Caption, IReadOnlyList<string> Columns, IReadOnlyList<TableBlock> Blocks,
    IReadOnlyList<string> Notes)
{
    public IEnumerable<IReadOnlyList<string>> AllRows => Blocks.SelectMany(b => b.Rows);

    /// <summary>GitHub Markdown: caption in bold, one pipe table, block labels as italic rows, notes below.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("**").Append(Caption).Append("**\n\n");
        sb.Append("| ").Append(string.Join(" | ", Columns.Select(Md))).Append(" |\n");
        sb.Append('|').Append(string.Join('|', Columns.Select((_, i) => i == 0 ? ":---" : "---:"))).Append("|\n");
        for (int b = 0; b < Blocks.Count; b++)
        {
            if (Blocks[b].Label.Length > 0 && (b > 0 || Blocks.Count > 1))
                sb.Append("| *").Append(Md(Blocks[b].Label)).Append("* |").Append(string.Concat(Enumerable.Repeat(" |", Columns.Count - 1))).Append('\n');
            foreach (var row in Blocks[b].Rows) sb.Append("| ").Append(string.Join(" | ", row.Select(Md))).Append(" |\n");
        }
        if (Notes.Count > 0) sb.Append('\n').Append(string.Join("\n", Notes.Select(n => Md(n) + "  "))).Append('\n');
        return sb.ToString();
    }

    /// <summary>CSV: a leading "block" column (the block label) then the table's columns; notes are not included.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(',', new[] { "block" }.Concat(Columns).Select(Csv.Escape))).Append('\n');
        foreach (var block in Blocks)
            foreach (var row in block.Rows)
                sb.Append(string.Join(',', new[] { block.Label }.Concat(row).Select(Csv.Escape))).Append('\n');
        return sb.ToString();
    }

    /// <summary>LaTeX table with booktabs rules (\toprule, \midrule between header and blocks, \bottomrule); text escaped.</summary>
    public string ToLatex()
    {
        var sb = new StringBuilder();
        sb.Append("% requires \\usepackage{booktabs}\n\\begin{table}[t]\n\\centering\n");
        sb.Append("\\caption{").Append(Latex(Caption)).Append("}\n\\label{tab:").Append(Name.Replace('_', '-')).Append("}\n");
        sb.Append("\\begin{tabular}{l").Append(new string('c', Columns.Count - 1)).Append("}\n\\toprule\n");
        sb.Append(string.Join(" & ", Columns.Select(Latex))).Append(" \\\\\n");
        foreach (var block in Blocks)
        {
            sb.Append("\\midrule\n");
            if (block.Label.Length > 0 && Blocks.Count > 1)
                sb.Append("\\multicolumn{").Append(Columns.Count).Append("}{l}{\\textit{").Append(Latex(block.Label)).Append("}} \\\\\n");
            foreach (var row in block.Rows) sb.Append(string.Join(" & ", row.Select(Latex))).Append(" \\\\\n");
        }
        sb.Append("\\bottomrule\n\\end{tabular}\n");
        foreach (var n in Notes) sb.Append("\\par\\smallskip{\\footnotesize ").Append(Latex(n)).Append("}\n");
        sb.Append("\\end{table}\n");
        return sb.ToString();
    }

    /// <summary>Writes Name.md, Name.csv and Name.tex into folder, each atomically (temp + rename). Returns the paths.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new[] { (".md", ToMarkdown()), (".csv", ToCsv()), (".tex", ToLatex()) }
            .Select(x => { var p = Path.Combine(folder, Name + x.Item1); AtomicFile.WriteAllText(p, x.Item2); return p; }).ToList();
        return paths;
    }

    /// <summary>Escapes LaTeX specials (\ &amp; % $ # _ { } ~ ^ &lt; &gt;) and maps ± † Δ − to math.</summary>
    public static string Latex(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (char c in s)
            sb.Append(c switch
            {
                '\\' => "\\textbackslash{}", '&' => "\\&", '%' => "\\%", '$' => "\\$", '#' => "\\#", '_' => "\\_",
                '{' => "\\{", '}' => "\\}", '~' => "\\textasciitilde{}", '^' => "\\textasciicircum{}",
                '<' => "\\textless{}", '>' => "\\textgreater{}", '±' => "$\\pm$", '†' => "$^\\dagger$", 'Δ' => "$\\Delta$",
                '−' => "$-$", '–' => "--",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    static string Md(string s) => s.Replace("|", "\\|");
}
