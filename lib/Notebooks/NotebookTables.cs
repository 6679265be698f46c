using System.Globalization;
using System.Net;
using System.Text;
using CorrKD.Reporting;
using Microsoft.Data.Analysis;

namespace CorrKD.Notebooks;

/// <summary>Tables as notebook HTML (the kernel's default DataFrame view lists row objects, not a grid).</summary>
public static class NotebookTables
{
    /// <summary>The first <paramref name="maxRows"/> rows as an HTML table; doubles with <paramref name="decimals"/> digits.</summary>
    public static HtmlView AsHtml(this DataFrame df, int maxRows = 50, int decimals = 3)
    {
        var sb = new StringBuilder("<table><thead><tr>");
        foreach (var c in df.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        long n = Math.Min(df.Rows.Count, maxRows);
        for (long r = 0; r < n; r++)
        {
            sb.Append("<tr>");
            foreach (var c in df.Columns) sb.Append("<td>").Append(WebUtility.HtmlEncode(Cell(c[r], decimals))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (df.Rows.Count > maxRows) sb.Append($"<p>({df.Rows.Count - maxRows} more rows)</p>");
        return new HtmlView(sb.ToString());
    }

    /// <summary>Rows of named values (e.g. from LINQ) as an HTML table: one column per key, in first-seen order.</summary>
    public static HtmlView AsHtml(this IEnumerable<IReadOnlyDictionary<string, object?>> rows, int decimals = 3)
    {
        var list = rows.ToList();
        var columns = list.SelectMany(r => r.Keys).Distinct().ToList();
        var sb = new StringBuilder("<table><thead><tr>");
        foreach (var c in columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var r in list)
        {
            sb.Append("<tr>");
            foreach (var c in columns) sb.Append("<td>").Append(WebUtility.HtmlEncode(Cell(r.TryGetValue(c, out var v) ? v : null, decimals))).Append("</td>");
            sb.Append("</tr>");
        }
        return new HtmlView(sb.Append("</tbody></table>").ToString());
    }

    /// <summary>A report table (Reporting.Table) as HTML, block labels as full-width rows, notes (e.g. the published-numbers footnote) below.</summary>
    public static HtmlView AsHtml(this Table t)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrEmpty(t.Caption)) sb.Append("<p><b>").Append(WebUtility.HtmlEncode(t.Caption)).Append("</b></p>");
        sb.Append("<table><thead><tr>");
        foreach (var c in t.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var b in t.Blocks)
        {
            if (!string.IsNullOrEmpty(b.Label))
                sb.Append($"<tr><td colspan=\"{t.Columns.Count}\"><i>").Append(WebUtility.HtmlEncode(b.Label)).Append("</i></td></tr>");
            foreach (var row in b.Rows)
            {
                sb.Append("<tr>");
                foreach (var cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
                sb.Append("</tr>");
            }
        }
        sb.Append("</tbody></table>");
        foreach (var n in t.Notes) sb.Append("<p><small>").Append(WebUtility.HtmlEncode(n)).Append("</small></p>");
        return new HtmlView(sb.ToString());
    }

    private static string Cell(object? v, int decimals) => v switch
    {
        null => "",
        double d => d.ToString("F" + decimals, CultureInfo.InvariantCulture),
        float f => f.ToString("F" + decimals, CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
