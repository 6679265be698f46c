using System.Net;
using System.Text;
using Markdig;
using Microsoft.DotNet.Interactive.Documents;

namespace CorrKD.NotebookRunner;

/// <summary>
/// An executed notebook as one self-contained HTML page: markdown rendered, code shown, outputs as the kernel
/// produced them. Charts need no network: the first chart output of a kit notebook carries plotly.js inline
/// (CorrKD.Notebooks.NotebookCharts.AsHtml), and later ones reuse it. TeX stays as written (no MathJax offline).
/// </summary>
public static class HtmlExport
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UsePipeTables().Build();

    private const string Style = """
        body { font-family: system-ui, sans-serif; max-width: 1080px; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #222; }
        pre { background: #f6f8fa; padding: .6em .8em; overflow-x: auto; font-size: 13px; border-radius: 4px; }
        pre.code { border-left: 3px solid #1f77b4; }
        .output pre { white-space: pre-wrap; }
        pre.stderr, pre.error { background: #fff0f0; border-left: 3px solid #d62728; }
        table { border-collapse: collapse; margin: .5em 0; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
        th { background: #f0f0f0; }
        .output { margin: .4em 0 1.2em 0; }
        """;

    public static string Render(InteractiveDocument doc, string title)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title><style>")
          .Append(Style).Append("</style></head><body>");
        foreach (var cell in doc.Elements)
        {
            if (cell.KernelName is "markdown" or "md")
            {
                sb.Append(Markdig.Markdown.ToHtml(cell.Contents, Markdown));
                continue;
            }
            sb.Append("<pre class=\"code\"><code>").Append(WebUtility.HtmlEncode(cell.Contents)).Append("</code></pre>");
            foreach (var o in cell.Outputs)
            {
                sb.Append("<div class=\"output\">");
                switch (o)
                {
                    case TextElement t:
                        sb.Append($"<pre class=\"{(t.Name == "stderr" ? "stderr" : "stdout")}\">").Append(WebUtility.HtmlEncode(t.Text)).Append("</pre>");
                        break;
                    case ErrorElement e:
                        sb.Append("<pre class=\"error\">").Append(WebUtility.HtmlEncode($"{e.ErrorName}: {e.ErrorValue}")).Append("</pre>");
                        break;
                    case DisplayElement d:
                        Data(sb, d.Data);
                        break;
                    case ReturnValueElement r:
                        Data(sb, r.Data);
                        break;
                }
                sb.Append("</div>");
            }
        }
        return sb.Append("</body></html>").ToString();
    }

    private static void Data(StringBuilder sb, IDictionary<string, object> data)
    {
        if (data.TryGetValue("text/html", out var html)) sb.Append(html);
        else if (data.TryGetValue("text/plain", out var text)) sb.Append("<pre>").Append(WebUtility.HtmlEncode(text?.ToString() ?? "")).Append("</pre>");
    }
}
