using System.Text;
using System.Text.RegularExpressions;
using CorrKD.Reporting;

namespace CorrKD.Experiments;

/// <summary>
/// The README's generated blocks: text between <c>&lt;!-- begin generated: NAME --&gt;</c> and
/// <c>&lt;!-- end generated: NAME --&gt;</c> is made from the committed results by `./kit readme` and never edited by
/// hand; a test fails when a block and the results disagree. Block "reproduce": the tables of results/reproduce;
/// block "study": the study's answer, core effects and power note from results/study.
/// </summary>
public static class ReadmeBlocks
{
    public static string Begin(string name) => $"<!-- begin generated: {name} (./kit readme; do not edit) -->";
    public static string End(string name) => $"<!-- end generated: {name} -->";

    /// <summary>Every block's content, rendered from the results under <paramref name="repoRoot"/>.</summary>
    public static IReadOnlyDictionary<string, string> Render(string repoRoot)
    {
        var blocks = new Dictionary<string, string>();
        var reproduce = Path.Combine(repoRoot, ReferenceResults.Folder, ReferenceResults.Reproduce);
        if (Directory.Exists(reproduce)) blocks["reproduce"] = ReproduceTables(reproduce, repoRoot);
        var study = Path.Combine(repoRoot, ReferenceResults.Folder, ReferenceResults.Study);
        if (Directory.Exists(study)) blocks["study"] = StudyAnswer(study, repoRoot);
        return blocks;
    }

    /// <summary>The README with every block replaced by <paramref name="blocks"/>; a block the README lacks is an error.</summary>
    public static string Apply(string readme, IReadOnlyDictionary<string, string> blocks)
    {
        foreach (var (name, content) in blocks)
        {
            var pattern = new Regex(Regex.Escape(Begin(name)) + ".*?" + Regex.Escape(End(name)), RegexOptions.Singleline);
            if (!pattern.IsMatch(readme))
                throw new InvalidOperationException($"README.md has no generated block '{name}': add the lines {Begin(name)} and {End(name)} where it goes");
            readme = pattern.Replace(readme, _ => Begin(name) + "\n" + content.TrimEnd() + "\n" + End(name), 1);
        }
        return readme;
    }

    private static string ReproduceTables(string gridDir, string repoRoot)
    {
        var spec = GridSpec.Read(gridDir);
        var runs = ReferenceCheck.Runs(gridDir).Count;
        var tmp = Path.Combine(Path.GetTempPath(), $"corrkd-readme-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var report = Report.Build(GridRunner.CollectResults(new[] { gridDir }), tmp, withPublished: true, png: false);
            var sb = new StringBuilder();
            sb.AppendLine($"From `{Path.GetRelativePath(repoRoot, gridDir).Replace('\\', '/')}` ({runs} runs: {string.Join(", ", spec.Datasets)}, " +
                          $"data seed {string.Join(",", spec.DataSeeds)}, seeds {string.Join(",", spec.Seeds)}; one thread per run). " +
                          "Synthetic-data numbers, **not the paper's**; published rows appear only as a labelled reference.");
            sb.AppendLine();
            sb.AppendLine(report.MainTableMarkdown.TrimEnd());
            sb.AppendLine();
            sb.AppendLine(report.Summary.TrimEnd());
            return sb.ToString();
        }
        finally { try { Directory.Delete(tmp, recursive: true); } catch (IOException) { } }
    }

    /// <summary>
    /// The study's status (no wall time: file times are not results), its answer in sentences, the core effects against
    /// no-kd on Avg (the OPEN-choice settings are in the committed effects CSV), the power note and, under a precision
    /// rule, how far each setting is from it.
    /// </summary>
    private static string StudyAnswer(string gridDir, string repoRoot)
    {
        var spec = GridSpec.Read(gridDir);
        var results = Study.Results(gridDir);
        var (effects, _) = Study.Analyse(results, spec: spec);
        var rel = Path.GetRelativePath(repoRoot, gridDir).Replace('\\', '/');
        var sb = new StringBuilder();
        sb.AppendLine($"From `{rel}` (`./kit study`; synthetic data, **not the paper's numbers**). {Study.StatusText(spec, gridDir, withWallTime: false)}");
        sb.AppendLine();
        foreach (var a in Study.Answer(effects, spec)) sb.AppendLine("- " + a);
        sb.AppendLine();
        var table = Study.EffectsTable(effects.Where(e => e.Condition == Protocols.Average && !e.Teacher && Study.IsCore(e.Comparison, spec)).ToList()) with
        {
            Caption = "Core contrasts on inter-modality Avg, points (every row, complete input and the OPEN choices: " +
                      $"`{rel}/report/tables/study_effects.csv`)",
        };
        sb.AppendLine(table.AllRows.Any() ? table.ToMarkdown().TrimEnd()
            : Study.NoComparisons);
        sb.AppendLine();
        sb.AppendLine(Study.PowerNote(effects));
        sb.Append(Study.PrecisionMarkdown(effects, spec, results, gridDir));
        return sb.ToString();
    }
}
