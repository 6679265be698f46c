using Plotly.NET;

namespace CorrKD.Reporting;

/// <summary>
/// Plotly traces and layouts built from plain key/value pairs (plotly.js attribute names). Plotly.NET's typed
/// chart functions are F# extension members that C# cannot call directly; raw attributes keep C# short and map
/// one to one onto the plotly.js reference.
/// </summary>
public static class Plot
{
    /// <summary>A plotly.js object: null values are left out.</summary>
    public static DynamicObj.DynamicObj Obj(params (string Key, object? Value)[] props)
    {
        var o = new DynamicObj.DynamicObj();
        foreach (var (k, v) in props) if (v is not null) o.SetProperty(k, v);
        return o;
    }

    /// <summary>One trace of plotly.js type <paramref name="type"/> (scatter, heatmap, histogram, bar, ...).</summary>
    public static GenericChart Trace(string type, params (string Key, object? Value)[] props)
    {
        var t = new Trace2D(type);
        foreach (var (k, v) in props) if (v is not null) t.SetProperty(k, v);
        return GenericChart.ofTraceObject(true, t);
    }

    /// <summary>A layout with a title and a size, plus any other layout attributes.</summary>
    public static Layout Layout(string title, int width, int height, params (string Key, object? Value)[] extra)
    {
        var layout = new Layout();
        layout.SetProperty("title", Obj(("text", title), ("font", Obj(("size", 15)))));
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        foreach (var (k, v) in extra) if (v is not null) layout.SetProperty(k, v);
        return layout;
    }
}
