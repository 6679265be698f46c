// Headless notebook runner: executes one .ipynb's C# cells in order in an in-process .NET Interactive C# kernel
// (with #r "nuget:" support) and exits non-zero on the first failing cell, naming it and the error.
//
//   dotnet CorrKD.NotebookRunner.dll NOTEBOOK.ipynb [--output EXECUTED.ipynb] [--html EXECUTED.html] [--cell-timeout SECONDS] [--cells N]
//
// A compiler diagnostic (warning or error) of any cell counts as a failure: VS Code shows it as an error box.
// --cells N runs only the first N code cells (the fresh-clone test runs a notebook's opening).
//
// Why in-process rather than the stock kernel: no tool install, no stdio protocol, and the exact error of the
// failing cell comes back as a CommandFailed/ErrorProduced event. One process per notebook, because kernel
// state (loaded assemblies, variables) would leak from one notebook into the next.
// The working directory becomes the notebook's folder, as in VS Code and Jupyter, so relative paths and the
// repo-root nuget.config (the local feed) behave the same way there and here.
using System.Diagnostics;
using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace CorrKD.NotebookRunner;

public static class Program
{
    public const int ExitOk = 0, ExitCellFailed = 1, ExitUsage = 2;

    public static async Task<int> Main(string[] args)
    {
        string? input = null, output = null, html = null;
        double cellTimeout = 600;
        int maxCells = int.MaxValue;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--output" when i + 1 < args.Length: output = Path.GetFullPath(args[++i]); break;
                case "--html" when i + 1 < args.Length: html = Path.GetFullPath(args[++i]); break;
                case "--cell-timeout" when i + 1 < args.Length: cellTimeout = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--cells" when i + 1 < args.Length: maxCells = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "-h" or "--help": Console.WriteLine(Usage); return ExitOk;
                default:
                    if (args[i].StartsWith("--") || input != null) { Console.Error.WriteLine($"unknown argument '{args[i]}'\n{Usage}"); return ExitUsage; }
                    input = Path.GetFullPath(args[i]); break;
            }
        }
        if (input == null) { Console.Error.WriteLine(Usage); return ExitUsage; }
        if (!File.Exists(input)) { Console.Error.WriteLine($"notebook not found: {input}"); return ExitUsage; }
        return await RunAsync(input, output, TimeSpan.FromSeconds(cellTimeout), Console.Error, maxCells, html);
    }

    private const string Usage = "usage: CorrKD.NotebookRunner NOTEBOOK.ipynb [--output EXECUTED.ipynb] [--html EXECUTED.html] [--cell-timeout SECONDS] [--cells N]";

    public static async Task<int> RunAsync(string notebookPath, string? outputPath, TimeSpan cellTimeout, TextWriter log, int maxCells = int.MaxValue, string? htmlPath = null)
    {
        var kernels = new KernelInfoCollection { new Microsoft.DotNet.Interactive.Documents.KernelInfo("csharp", "C#", new[] { "c#", "C#", "cs" }) };
        kernels.DefaultKernelName = "csharp";
        InteractiveDocument doc;
        await using (var s = File.OpenRead(notebookPath)) doc = Notebook.Read(s, kernels);

        Directory.SetCurrentDirectory(Path.GetDirectoryName(notebookPath)!);
        using var kernel = CreateKernel();

        var name = Path.GetFileName(notebookPath);
        var code = doc.Elements.Where(IsCode).ToList();
        var total = Stopwatch.StartNew();
        int order = 0, failures = 0;
        for (int c = 0; c < doc.Elements.Count; c++)
        {
            var cell = doc.Elements[c];
            if (!IsCode(cell)) continue;
            cell.Outputs.Clear();
            if (order >= maxCells) continue;
            if (cell.KernelName is not ("csharp" or "" or null))
            {
                log.WriteLine($"{name}: cell {c + 1} ({cell.Id}) uses kernel '{cell.KernelName}'; only C# cells are supported");
                failures++; break;
            }
            cell.ExecutionOrder = ++order;
            var sw = Stopwatch.StartNew();
            var (ok, error) = await SubmitAsync(kernel, cell, cellTimeout);
            log.WriteLine($"{name}: cell {c + 1} ({cell.Id}) {(ok ? "ok" : "FAILED")} in {sw.Elapsed.TotalSeconds:F1} s");
            if (!ok)
            {
                log.WriteLine($"{name}: cell {c + 1} ({cell.Id}) failed: {error}");
                log.WriteLine("---- cell source ----");
                log.WriteLine(cell.Contents);
                log.WriteLine("---------------------");
                failures++;
                break;
            }
        }
        log.WriteLine($"{name}: {(failures == 0 ? "ok" : "FAILED")}, {order} of {code.Count} code cells, {total.Elapsed.TotalSeconds:F1} s");

        if (outputPath != null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
            var tmp = outputPath + ".tmp";
            await using (var s = File.Create(tmp)) Notebook.Write(doc, s, kernels);
            File.Move(tmp, outputPath, overwrite: true);
            log.WriteLine($"{name}: executed copy written to {outputPath}");
        }
        if (htmlPath != null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(htmlPath)!);
            await File.WriteAllTextAsync(htmlPath + ".tmp", HtmlExport.Render(doc, name));
            File.Move(htmlPath + ".tmp", htmlPath, overwrite: true);
            log.WriteLine($"{name}: HTML copy written to {htmlPath}");
        }
        return failures == 0 ? ExitOk : ExitCellFailed;
    }

    private static bool IsCode(InteractiveDocumentElement e) => e.KernelName is not ("markdown" or "md");

    /// <summary>A composite kernel holding one C# kernel, set up like the stock kernel's: #r "nuget:", kernel helpers, value sharing.</summary>
    private static CompositeKernel CreateKernel()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, refs) =>
            {
                k.AddAssemblyReferences(refs.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            }, false)
            .UseKernelHelpers()
            .UseValueSharing();
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = csharp.Name;
        return composite;
    }

    private static async Task<(bool Ok, string? Error)> SubmitAsync(Kernel kernel, InteractiveDocumentElement cell, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        KernelCommandResult result;
        try { result = await kernel.SendAsync(new SubmitCode(cell.Contents, "csharp"), cts.Token); }
        catch (OperationCanceledException) { return (false, $"timed out after {timeout.TotalSeconds:F0} s"); }

        string? error = null;
        var diagnostics = new List<string>();
        var stdout = new StringBuilder(); var stderr = new StringBuilder();
        var displayed = new Dictionary<string, DisplayElement>();   // value id -> output, so updates replace (progress displays)
        void FlushText()
        {
            if (stdout.Length > 0) { cell.Outputs.Add(new TextElement(stdout.ToString(), "stdout")); stdout.Clear(); }
            if (stderr.Length > 0) { cell.Outputs.Add(new TextElement(stderr.ToString(), "stderr")); stderr.Clear(); }
        }
        foreach (var e in result.Events)
        {
            if (Environment.GetEnvironmentVariable("CORRKD_RUNNER_TRACE") == "1")
                Console.Error.WriteLine($"  event {e.GetType().Name} {(e as DisplayEvent)?.ValueId}");
            switch (e)
            {
                case StandardOutputValueProduced o: stdout.Append(PlainText(o)); break;
                case StandardErrorValueProduced o: stderr.Append(PlainText(o)); break;
                case ReturnValueProduced r:
                    FlushText();
                    var rv = new ReturnValueElement { ExecutionOrder = cell.ExecutionOrder };
                    foreach (var (k, v) in ToData(r)) rv.Data[k] = v;
                    cell.Outputs.Add(rv);
                    break;
                case ErrorProduced ep:
                    FlushText();
                    error ??= ep.Message;
                    cell.Outputs.Add(new ErrorElement("Error", ep.Message, Array.Empty<string>()));
                    break;
                case DisplayedValueUpdated u when u.ValueId != null && displayed.TryGetValue(u.ValueId, out var earlier):
                    cell.Outputs[cell.Outputs.IndexOf(earlier)] = displayed[u.ValueId] = new DisplayElement(ToData(u));
                    break;
                case DisplayEvent d:
                    FlushText();
                    var element = new DisplayElement(ToData(d));
                    cell.Outputs.Add(element);
                    if (d.ValueId != null) displayed[d.ValueId] = element;
                    break;
                case DiagnosticsProduced dp:
                    // What VS Code shows as a pink box under the cell: compiler warnings (CS1701, CS8632, ...).
                    foreach (var d in dp.Diagnostics.Where(d => d.Severity.ToString() is "Warning" or "Error"))
                        diagnostics.Add($"{d.Severity.ToString().ToLowerInvariant()} {d.Code}: {d.Message}");
                    break;
                case CommandFailed f:
                    FlushText();
                    error ??= f.Exception != null && !f.Message.Contains(f.Exception.Message) ? $"{f.Message}\n{f.Exception}" : f.Message;
                    cell.Outputs.Add(new ErrorElement(f.Exception?.GetType().Name ?? "Error", f.Message,
                        f.Exception?.StackTrace?.Split('\n') ?? Array.Empty<string>()));
                    break;
            }
        }
        FlushText();
        if (diagnostics.Count > 0)
        {
            cell.Outputs.Add(new TextElement(string.Join("\n", diagnostics.Distinct()) + "\n", "stderr"));
            error ??= "the cell produced compiler diagnostics (a student sees them as error boxes): " + string.Join("; ", diagnostics.Distinct());
        }
        return (error == null, error);
    }

    private static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value ?? e.Value?.ToString() ?? "";

    private static Dictionary<string, object> ToData(DisplayEvent e) =>
        e.FormattedValues.GroupBy(v => v.MimeType).ToDictionary(g => g.Key, g => (object)g.First().Value);
}
