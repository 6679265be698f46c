using System.Diagnostics;
using CorrKD.Training;

namespace CorrKD.Experiments;

/// <summary>
/// Runs a grid as <c>jobs</c> single-thread workers (<see cref="GridRunner.Run"/>): in this process for one job,
/// else as child processes of this program (`worker GRID_DIR`), each logging to GRID/logs/worker-K.log, while this
/// process shows the grid's progress. One thread per training whatever the number of jobs or cores, so a grid's
/// results are the same bits with --jobs 1, --jobs 2 or on another machine (CPU, same build).
/// </summary>
public static class GridJobs
{
    /// <summary>Threads per training in every grid (grid, reproduce, study): part of what makes reruns identical.</summary>
    public const int ThreadsPerRun = 1;

    public static int DefaultJobs => Math.Max(1, Environment.ProcessorCount);

    public static void Run(GridSpec spec, string gridDir, int jobs, GridRunner.Shard shard, string device, TextWriter console)
    {
        if (jobs < 1) throw new ArgumentException($"--jobs must be >= 1, got {jobs}");
        KitRuntime.ResolveDevice(device);   // a bad --device fails before the grid folder is made
        GridRunner.Prepare(spec, gridDir);
        var queue = GridRunner.Queue(spec, gridDir, shard);
        int before = queue.Count(c => c.Done);
        var clock = Stopwatch.StartNew();
        jobs = Math.Min(jobs, Math.Max(1, queue.Count - before));
        if (jobs == 1)
        {
            GridRunner.Run(spec, gridDir, shard, ThreadsPerRun, device, new ConsoleProgress(), console);
        }
        else
        {
            var logs = Path.Combine(gridDir, "logs");
            Directory.CreateDirectory(logs);
            var workers = Enumerable.Range(1, jobs).Select(k => StartWorker(gridDir, shard, device, Path.Combine(logs, $"worker-{k}.log"))).ToList();
            // Stopping this process (Ctrl-C, SIGTERM, SIGHUP) stops its workers too; every run they leave resumes with --resume.
            void StopWorkers(System.Runtime.InteropServices.PosixSignalContext _) { foreach (var w in workers) try { if (!w.Process.HasExited) w.Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, StopWorkers);
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, StopWorkers);
            using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, StopWorkers);
            console.WriteLine($"grid: {queue.Count - before} runs to train ({before} done earlier) by {jobs} workers of {ThreadsPerRun} thread; logs in {logs}");
            Watch(spec, gridDir, shard, queue, workers, before, clock, console);
            var failed = workers.Where(w => w.Process.ExitCode != 0).ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException(string.Join("\n", failed.Select(w =>
                    $"worker {w.Log} exited with {w.Process.ExitCode}; its last lines:\n  " + string.Join("\n  ", Tail(w.Log, 8)))) +
                    $"\nfix the cause and continue with --resume {gridDir}");
        }
        var left = GridRunner.Queue(spec, gridDir, shard);   // less what a precision rule stopped meanwhile
        console.WriteLine($"grid: {left.Count(c => c.Done) - before} runs trained, {before} done earlier" +
                          $"{(left.Count < queue.Count ? $", {queue.Count - left.Count} left out by the precision rule" : "")}, {HoursMinutes(clock.Elapsed)}:{clock.Elapsed:ss}");
    }

    private sealed record Worker(Process Process, string Log);

    private static Worker StartWorker(string gridDir, GridRunner.Shard shard, string device, string log)
    {
        var self = typeof(GridJobs).Assembly.Location;
        var host = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(self);
        foreach (var a in new[] { "worker", gridDir, "--shard", $"{shard.Index}/{shard.Count}", "--device", device }) psi.ArgumentList.Add(a);
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        writer.WriteLine($"--- worker started {DateTime.UtcNow:O}");
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var gate = new object();
        void Line(string? l) { if (l != null) lock (gate) writer.WriteLine(l); }
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        p.Exited += (_, _) =>
        {
            p.WaitForExit();
            lock (gate) { writer.WriteLine($"--- worker exited {DateTime.UtcNow:O}: {ExitDescription(p.ExitCode)}"); writer.Dispose(); }
        };
        p.Start();
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        return new Worker(p, log);
    }

    /// <summary>"code 0", or the signal that ended a worker (the runtime reports 128 + signal): a worker killed from
    /// outside or crashed in native code leaves no message of its own, so its log and the console say it here.</summary>
    public static string ExitDescription(int code) => code switch
    {
        0 => "code 0",
        > 128 and < 160 => $"code {code} (signal {code - 128}{(code - 128) switch { 9 => ", SIGKILL: killed from outside, e.g. out of memory", 11 => ", SIGSEGV: a native crash", 6 => ", SIGABRT", 15 => ", SIGTERM", _ => "" }})",
        _ => $"code {code}",
    };

    /// <summary>"h:mm" with the hours unbounded (a study's time left runs past a day, which "hh" would wrap).</summary>
    public static string HoursMinutes(TimeSpan t) => $"{(int)t.TotalHours}:{t:mm}";

    /// <summary>Until every worker exits: one line per finished run, and a progress line with a rough time left. Under a
    /// precision rule the queue is read again after each finished run, as the workers do.</summary>
    private static void Watch(GridSpec spec, string gridDir, GridRunner.Shard shard, IReadOnlyList<GridRunner.Cell> queue, List<Worker> workers,
        int before, Stopwatch clock, TextWriter console)
    {
        var seen = new HashSet<string>(queue.Where(c => c.Done).Select(c => c.Dir));
        int total = queue.Count;
        var lastLine = TimeSpan.Zero;
        var ended = new HashSet<string>();
        while (true)
        {
            bool running = workers.Any(w => !w.Process.HasExited);
            foreach (var w in workers.Where(w => w.Process.HasExited && !ended.Contains(w.Log)))
            {
                ended.Add(w.Log);
                if (w.Process.ExitCode != 0 || running)
                    console.WriteLine($"grid: worker {Path.GetFileName(w.Log)} exited, {ExitDescription(w.Process.ExitCode)}; " +
                                      $"{workers.Count(x => !x.Process.HasExited)} still running");
            }
            bool finished = false;
            foreach (var c in queue.Where(c => !seen.Contains(c.Dir) && c.Done))
            {
                seen.Add(c.Dir); finished = true;
                console.WriteLine($"[{seen.Count}/{total}] {GridRunner.Label(c)} done, {HoursMinutes(clock.Elapsed)}:{clock.Elapsed:ss}");
            }
            if (finished && spec.Stop != null && GridRunner.Queue(spec, gridDir, shard) is var now && now.Count != total)
            {
                console.WriteLine(now.Count < total ? $"grid: the precision rule leaves out {total - now.Count} runs; {now.Count} in all now"
                                                    : $"grid: the precision rule takes back {now.Count - total} runs; {now.Count} in all now");
                (queue, total) = (now, now.Count);
            }
            if (!running) break;
            if (clock.Elapsed - lastLine > TimeSpan.FromMinutes(1))
            {
                lastLine = clock.Elapsed;
                int done = seen.Count - before, left = total - seen.Count;
                var eta = done == 0 ? "" : $", about {HoursMinutes(TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * left))} (h:mm) left";
                console.WriteLine($"grid: {seen.Count}/{total} runs finished, {workers.Count(w => !w.Process.HasExited)} workers busy, {HoursMinutes(clock.Elapsed)}:{clock.Elapsed:ss} elapsed{eta}");
            }
            Thread.Sleep(1000);
        }
        foreach (var w in workers) w.Process.WaitForExit();
    }

    private static IEnumerable<string> Tail(string file, int n)
    {
        try { return File.ReadLines(file).TakeLast(n).ToList(); }
        catch (IOException) { return new[] { "(log unreadable)" }; }
    }
}
