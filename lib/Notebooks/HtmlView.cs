using System.Net;
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace CorrKD.Notebooks;

/// <summary>
/// A piece of HTML that a .NET Interactive notebook shows as text/html when a cell returns it.
/// Why not Plotly.NET.Interactive: it is a kernel extension (the in-process test runner does not load extensions)
/// and it loads plotly.js from a CDN (blank offline). This type needs no reference to .NET Interactive: the kernel's
/// formatter finds <see cref="TypeFormatterSourceAttribute"/> by name (its documented convention).
/// </summary>
[TypeFormatterSource(typeof(HtmlViewFormatterSource), PreferredMimeTypes = new[] { "text/html" })]
public sealed record HtmlView(string Html)
{
    public override string ToString() => Html;

    /// <summary>Plain text shown as a preformatted block (HTML-escaped).</summary>
    public static HtmlView Pre(string text) => new($"<pre>{WebUtility.HtmlEncode(text)}</pre>");
}

/// <summary>Matched by name by .NET Interactive's formatter (convention-based formatter sources).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>Creates the formatters for <see cref="HtmlView"/>; shape required by the convention: CreateTypeFormatters().</summary>
public sealed class HtmlViewFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters() => new object[]
    {
        new HtmlViewFormatter("text/html", v => v.Html),
        new HtmlViewFormatter("text/plain", v => $"(HTML, {v.Html.Length} characters)"),
    };
}

/// <summary>One formatter by convention: MimeType, Type, bool Format(object, TextWriter).</summary>
public sealed class HtmlViewFormatter(string mimeType, Func<HtmlView, string> render)
{
    public string MimeType { get; } = mimeType;
    public Type Type => typeof(HtmlView);

    public bool Format(object instance, TextWriter writer)
    {
        if (instance is not HtmlView v) return false;
        writer.Write(render(v));
        return true;
    }
}

/// <summary>Plotly.NET charts as notebook output.</summary>
public static class NotebookCharts
{
    private static int _plotlyEmbedded;

    /// <summary>
    /// The chart as an HTML fragment. The first chart of a kernel session carries the full plotly.js inline
    /// (~3.6 MB, works offline); later ones reuse the window's Plotly (outputs of one notebook share a page in
    /// VS Code and Jupyter). Pass <paramref name="embedPlotly"/> true to force embedding, e.g. for a lone cell rerun.
    /// </summary>
    public static HtmlView AsHtml(this GenericChart chart, bool? embedPlotly = null)
    {
        bool embed = embedPlotly ?? Interlocked.Exchange(ref _plotlyEmbedded, 1) == 0;
        var withOptions = GenericChart.addDisplayOptions(
            DisplayOptions.init(null, FSharpOption<string>.Some("UTF-8"), null, null, null, null,
                FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.NoReference)), chart);
        var html = GenericChart.toChartHTML(withOptions);
        return new HtmlView(embed ? PlotlyScript() + html : html);
    }

    /// <summary>
    /// plotly.js (shipped inside Plotly.NET) as inline script tags. AMD's define is hidden while it runs: Jupyter
    /// pages carry require.js, and plotly's UMD header would register a module instead of setting window.Plotly.
    /// </summary>
    private static string PlotlyScript()
    {
        var asm = typeof(GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-") && n.EndsWith(".min.js"))
            ?? throw new InvalidOperationException("Plotly.NET carries no embedded plotly.js resource");
        using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
        return "<script type=\"text/javascript\">window.__corrkdDefine = window.define; window.define = undefined;</script>"
             + "<script type=\"text/javascript\">" + reader.ReadToEnd() + "</script>"
             + "<script type=\"text/javascript\">window.define = window.__corrkdDefine;</script>";
    }
}
