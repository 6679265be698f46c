using System.Text.Json.Nodes;
using CorrKD.Reporting;
using CorrKD.Training;

namespace CorrKD.Experiments;

/// <summary>
/// Runs a <see cref="GridSpec"/> into a grid folder:
/// GRID/grid.json, GRID/configs/SETTING-FAMILY.json, GRID/teachers/DATASET@DATASEED/sSEED/teacher-HASH/ (shared by every
/// setting with the same teacher config), GRID/runs/SETTING/DATASET@DATASEED/sSEED/VARIANT/.
/// Resumable: a cell whose results.csv exists is skipped; a cell with a checkpoint but no results continues
/// from it. Shardable: shard i of N takes every N-th teacher group (groups, not single runs, so a teacher and
/// its students always share a machine; a teacher shared by groups on different shards is trained by the first
/// shard to reach it while the other waits on its lock file); shards write disjoint folders and are merged by reading every
/// results.csv under the grid (see <see cref="CollectResults"/>).
/// </summary>
public static class GridRunner
{
    public sealed record Shard(int Index, int Count)
    {
        public static Shard All => new(1, 1);
        public static Shard Parse(string s)
        {
            var p = s.Split('/');
            if (p.Length != 2 || !int.TryParse(p[0], out var i) || !int.TryParse(p[1], out var n) || n < 1 || i < 1 || i > n)
                throw new ArgumentException($"--shard must look like i/N with 1 <= i <= N, got '{s}'");
            return new(i, n);
        }
        public bool Takes(int groupIndex) => groupIndex % Count == Index - 1;
    }

    public sealed record CellStatus(string Key, string Folder, bool Skipped, RunSummary? Summary);

    /// <summary>Creates the grid folder, or checks that an existing one holds the same grid, and writes its configs.</summary>
    public static void Prepare(GridSpec spec, string gridDir)
    {
        Directory.CreateDirectory(gridDir);
        var specFile = Path.Combine(gridDir, "grid.json");
        var json = spec.ToJson();
        if (File.Exists(specFile))
        {
            var text = File.ReadAllText(specFile);
            if (text != json)
            {
                if (!spec.Extends(GridSpec.Parse(text, specFile)))
                    throw new InvalidOperationException($"{gridDir} holds a different grid (grid.json differs); use a new folder for a new grid");
                IO.AtomicFile.WriteAllText(specFile, json);   // the grid grows: more seeds, more pairs or a new setting
            }
        }
        else IO.AtomicFile.WriteAllText(specFile, json);
        foreach (var g in spec.Groups())
        {
            var cfgPath = ConfigPath(gridDir, g);
            if (!File.Exists(cfgPath)) IO.AtomicFile.WriteAllText(cfgPath, GridSpec.ConfigFor(g.Setting, g.Dataset).ToJson());
        }
    }

    /// <summary>This shard's trainings in the order workers take them: pair by pair (<see cref="GridSpec.Pairs"/>), each
    /// pair's teachers first (so its students can start as soon as possible), then its students group by group; a
    /// teacher shared by several groups appears once. A grid stopped early (a study over several sittings) therefore
    /// holds whole pairs, every setting of each, rather than all pairs of the first settings. Under a precision rule
    /// (<see cref="GridSpec.Stop"/>) only the cells <see cref="Plan"/> keeps, and the groups in the order of the pairs
    /// their settings still want, fewest first (pair by pair within a setting): the settings the rule can settle soon
    /// are trained first, the ones it cannot afford take what is left.</summary>
    public static IReadOnlyList<Cell> Queue(GridSpec spec, string gridDir, Shard shard)
    {
        var plan = Plan(spec, gridDir);
        var pairIndex = spec.Pairs().Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var cells = spec.Groups().Where((g, i) => shard.Takes(i)).SelectMany(g => CellsOf(spec, gridDir, g)).Where(plan.Keeps).ToList();
        return cells.OrderBy(c => plan.Need(c.Group)).ThenBy(c => pairIndex[(c.Group.Seed, c.Group.DataSeed)]).ThenBy(c => c.IsTeacher ? 0 : 1)
            .DistinctBy(c => c.Dir).ToList();   // OrderBy is stable: within a pair, groups keep the setting order
    }

    /// <summary>What a precision rule makes of a grid folder's cells: which it keeps, and a group's need (the pairs its
    /// setting still wants on its data set; 0, first, for a group already begun, a setting without the rule's rows, or no rule).</summary>
    public sealed record GridPlan(Func<Cell, bool> Keeps, Func<GridSpec.Group, int> Need);

    /// <summary>
    /// The precision rule on a grid folder (<see cref="Study.PrecisionOf"/>): a setting that has stopped trains no new
    /// pair; a settled one that another setting still compares with its no-kd trains only that no-kd (and the teacher it
    /// waits for), since its own rows need no more pairs; a group whose distilled students have begun is finished
    /// whatever the rule says, so no pair is left half-trained.
    /// </summary>
    public static GridPlan Plan(GridSpec spec, string gridDir)
    {
        var rows = Study.PrecisionOf(spec, gridDir).ToDictionary(r => (r.Setting, r.Dataset));
        if (rows.Count == 0) return new(_ => true, _ => 0);
        var begun = new Dictionary<string, bool>();   // per group: asked for each of its cells
        bool Begun(GridSpec.Group g) => begun.TryGetValue(g.Key, out var b) ? b
            : begun[g.Key] = CellsOf(spec, gridDir, g).Any(c => !c.IsTeacher && c.Variant != "no-kd" && File.Exists(Path.Combine(c.Dir, "run.json")));
        return new(
            c => !rows.TryGetValue((c.Group.Setting.Name, c.Group.Dataset), out var r) || Begun(c.Group)
                 || (!r.Stopped && (!r.Settled || c.IsTeacher || c.Variant == "no-kd")),
            g => rows.TryGetValue((g.Setting.Name, g.Dataset), out var r) && !Begun(g) ? r.PairsLeft : 0);
    }

    /// <summary>
    /// One worker over a grid folder: takes the first cell of <see cref="Queue"/> that is not finished, not held by
    /// another worker (its lock file) and whose teacher has finished, trains it, and starts over, until every cell
    /// is finished. Under a precision rule the queue is looked at again after every training, so the groups it stops
    /// drop out as soon as their pairs suffice. Any number of workers (processes, here or on other machines sharing the folder) can run at once;
    /// each cell is trained by exactly one. Every training's result depends only on the cell and the thread count,
    /// never on which worker ran it or in which order.
    /// </summary>
    public static List<CellStatus> Run(GridSpec spec, string gridDir, Shard shard, int threads = 1, string device = "auto",
        IProgress<TrainProgress>? progress = null, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        KitRuntime.ResolveDevice(device);   // a bad --device fails before the grid folder is made
        Prepare(spec, gridDir);
        var pending = Queue(spec, gridDir, shard).ToList();
        var statuses = new List<CellStatus>();
        bool toldWaiting = false;
        while (pending.Count > 0)
        {
            bool trained = false;
            foreach (var c in pending.ToList())
            {
                if (c.Done) { pending.Remove(c); statuses.Add(new CellStatus(Label(c), c.Dir, true, null)); continue; }
                if (!c.IsTeacher && !File.Exists(Path.Combine(c.TeacherDir, "results.csv"))) continue;
                if (!c.IsTeacher && File.Exists(UnreproducibleMarker(c.TeacherDir)))
                {
                    // Its teacher cannot be rebuilt on this CPU class: the student waits for a machine of the teacher's class.
                    pending.Remove(c); statuses.Add(new CellStatus(Label(c), c.Dir, true, null));
                    log.WriteLine($"{Label(c)}: left for a machine of its teacher's CPU class ({File.ReadLines(UnreproducibleMarker(c.TeacherDir)).First()})");
                    continue;
                }
                if (!c.IsTeacher && !HasCheckpoint(c.TeacherDir))
                {
                    // A finished teacher without its checkpoint: a grid continued from committed results (results/ keeps none).
                    if (!RebuildTeacher(spec, gridDir, c, threads, device, progress, log)) continue;
                    trained = true; toldWaiting = false;
                    break;
                }
                using var held = IO.FileLock.TryAcquire(c.Dir + ".lock");
                if (held == null || c.Done) continue;   // another worker has it (or finished it meanwhile)
                pending.Remove(c);
                var req = RequestInto(spec, gridDir, c, c.Dir, threads, device);
                log.WriteLine($"[{statuses.Count + 1}/{statuses.Count + 1 + pending.Count}] {Label(c)}: {(req.Resume != null ? "resuming" : "starting")}");
                var summary = c.IsTeacher ? TrainingRun.Teacher(req, progress, log) : TrainingRun.Student(req, progress, log);
                statuses.Add(new CellStatus(Label(c), c.Dir, false, summary));
                trained = true; toldWaiting = false;
                if (spec.Stop != null) Restop(spec, gridDir, shard, pending, statuses.Select(st => st.Folder).ToHashSet(), log);
                break;   // start over: a teacher may have finished meanwhile
            }
            if (!trained && pending.Count > 0)
            {
                if (!toldWaiting) log.WriteLine($"waiting: {pending.Count} runs are held by other workers or wait for their teacher");
                toldWaiting = true;
                Thread.Sleep(TimeSpan.FromSeconds(2));
            }
        }
        return statuses;
    }

    /// <summary>Refills <paramref name="pending"/> from the queue as the precision rule now has it (its new order of need;
    /// a cell the rule takes back returns, one this worker has <paramref name="handled"/> does not), saying which cells it left out.</summary>
    private static void Restop(GridSpec spec, string gridDir, Shard shard, List<Cell> pending, IReadOnlySet<string> handled, TextWriter log)
    {
        var queue = Queue(spec, gridDir, shard);
        var queued = queue.Select(c => c.Dir).ToHashSet();
        var dropped = pending.Where(c => !queued.Contains(c.Dir)).ToList();
        pending.Clear();
        pending.AddRange(queue.Where(c => !c.Done && !handled.Contains(c.Dir)));
        if (dropped.Count == 0) return;
        var rows = Study.PrecisionOf(spec, gridDir).ToDictionary(r => (r.Setting, r.Dataset));
        foreach (var g in dropped.GroupBy(c => (c.Group.Setting.Name, c.Group.Dataset)))
            log.WriteLine($"{g.Key.Name}/{GridSpec.SafeName(g.Key.Dataset)}: " + (rows.GetValueOrDefault(g.Key) is { } r
                ? $"the precision rule {(r.Stopped ? "stops it" : "leaves it only the no-kd another setting compares with")} ({r.Reason})"
                : "the precision rule leaves it out") + $"; {g.Count()} runs left out");
    }

    private static bool HasCheckpoint(string runDir) => Checkpoint.Exists(Path.Combine(runDir, "checkpoint", "best"));

    /// <summary>TEACHER.unreproducible@CLASS: written when a teacher's rebuild on this CPU class was not the recorded run.</summary>
    public static string UnreproducibleMarker(string teacherDir) => $"{teacherDir}.unreproducible@{KitRuntime.CpuClass}";

    /// <summary>
    /// Gives a finished teacher whose checkpoint is missing (a grid continued from the text artefacts committed under
    /// results/) the checkpoint its remaining students need: retrains it in TEACHER.rebuild (resumable), checks with
    /// <see cref="ReferenceCheck"/> that the retrain is the recorded run bit for bit, then moves the checkpoint in.
    /// A retrain that differs (the teacher was made on another CPU class, whose kernels round differently) is not
    /// used, since the students would distil another teacher than the recorded one: the verdict goes into
    /// <see cref="UnreproducibleMarker"/> and those students are left for a machine of the teacher's class, while the
    /// grid goes on with the rest (a study's pairs are independent, so each pair is trained whole on one class).
    /// False when another worker holds the teacher or the rebuild differed.
    /// </summary>
    private static bool RebuildTeacher(GridSpec spec, string gridDir, Cell student, int threads, string device,
        IProgress<TrainProgress>? progress, TextWriter log)
    {
        var dir = student.TeacherDir;
        using var held = IO.FileLock.TryAcquire(dir + ".lock");
        if (held == null) return false;
        if (HasCheckpoint(dir)) return true;   // another worker rebuilt it meanwhile
        var teacher = new Cell(student.Group, "teacher", dir, dir);
        var rebuild = dir + ".rebuild";
        log.WriteLine($"{Label(teacher)}: finished, but its checkpoint is missing; retraining it in {rebuild} for its students");
        TrainingRun.Teacher(RequestInto(spec, gridDir, teacher, rebuild, threads, device), progress, log);
        var check = ReferenceCheck.Compare(rebuild, dir);
        if (!check.Identical)
        {
            var made = ReferenceResults.ClassOf(dir) is var cls && cls == ReferenceResults.NotRecorded ? "whose run.json predates the CPU-class record" : $"made on {cls}";
            var why = $"the teacher retrained on {KitRuntime.CpuClass} is not the recorded run ({made}); {check.Verdict()}";
            IO.AtomicFile.WriteAllText(UnreproducibleMarker(dir), why + "\n");
            Directory.Delete(rebuild, recursive: true);
            log.WriteLine($"{Label(teacher)}: {why}");
            return false;
        }
        log.WriteLine($"{Label(teacher)}: retrain {check.Verdict()}");
        Directory.Move(Path.Combine(rebuild, "checkpoint"), Path.Combine(dir, "checkpoint"));
        Directory.Delete(rebuild, recursive: true);
        return true;
    }

    /// <summary>"SETTING/DATASET@SEED/sSEED/VARIANT", or the teacher's folder for a teacher.</summary>
    public static string Label(Cell c) => c.IsTeacher ? $"{GridSpec.SafeName(c.Group.Dataset)}@{c.Group.DataSeed}/s{c.Group.Seed}/teacher ({Path.GetFileName(c.Dir)})" : $"{c.Group.Key}/{c.Variant}";

    /// <summary>The cell's training into <paramref name="dir"/>: resumed when a run was started there, else a new run.</summary>
    private static RunRequest RequestInto(GridSpec spec, string gridDir, Cell c, string dir, int threads, string device)
    {
        var req = RequestFor(spec, gridDir, c, threads, device);
        return File.Exists(Path.Combine(dir, "run.json")) ? req with { Resume = dir } : req with { Out = dir };
    }

    private static RunRequest RequestFor(GridSpec spec, string gridDir, Cell c, int threads, string device)
    {
        var g = c.Group;
        var req = new RunRequest
        {
            Dataset = g.Dataset, DataSeed = g.DataSeed, Seed = g.Seed, Epochs = spec.Epochs, Threads = threads, Device = device,
            ConfigPath = ConfigPath(gridDir, g), EvaluateIntra = spec.EvaluateIntra,
        };
        return c.IsTeacher ? req : req with { Variant = c.Variant, TeacherRun = c.TeacherDir };
    }

    /// <summary>One training of a grid: the group's teacher (shared by every setting with the same teacher config) or a student.</summary>
    public sealed record Cell(GridSpec.Group Group, string Variant, string Dir, string TeacherDir)
    {
        public bool IsTeacher => Variant == "teacher";
        public bool Done => File.Exists(Path.Combine(Dir, "results.csv"));
    }

    /// <summary>The group's cells in training order, teacher first; the one place grid folder paths are made.</summary>
    public static IReadOnlyList<Cell> CellsOf(GridSpec spec, string gridDir, GridSpec.Group g)
    {
        var cfg = GroupConfig(gridDir, g);
        // Settings that leave the teacher's config alone share one teacher per (data set, data seed, seed).
        var teacherDir = Path.Combine(gridDir, "teachers", $"{GridSpec.SafeName(g.Dataset)}@{g.DataSeed}", $"s{g.Seed}", TeacherKey(cfg));
        var groupDir = Path.Combine(gridDir, "runs", g.Key);
        return VariantsOf(spec, g).Select(v => new Cell(g, v, Path.Combine(groupDir, v), teacherDir))
            .Prepend(new Cell(g, "teacher", teacherDir, teacherDir)).ToList();
    }

    /// <summary>The config a group trains with: the grid's own config file when written (a folder keeps the configs it
    /// was made with, e.g. a study begun before the attention kernel keeps the ops), else the setting's config from
    /// the defaults. <paramref name="cache"/>, when given, holds configs already read, by path.</summary>
    private static KitConfig GroupConfig(string gridDir, GridSpec.Group g, Dictionary<string, KitConfig>? cache = null)
    {
        var path = ConfigPath(gridDir, g);
        if (cache != null && cache.TryGetValue(path, out var known)) return known;
        var cfg = File.Exists(path) ? KitConfig.Load(path) : GridSpec.ConfigFor(g.Setting, g.Dataset);
        cache?.Add(path, cfg);
        return cfg;
    }

    private static string ConfigPath(string gridDir, GridSpec.Group g) =>
        Path.Combine(gridDir, "configs", $"{g.Setting.Name}-{GridSpec.ConfigFor(g.Setting, g.Dataset).Family}.json");

    /// <summary>Finished and total trainings per setting (a shared teacher counts once, under the first setting using it):
    /// every finished one, and the unfinished ones of the cells the precision rule keeps (<see cref="Plan"/>); a setting
    /// it stopped before any training shows 0 of 0.</summary>
    public static IReadOnlyList<(string Setting, int Done, int Total)> Status(GridSpec spec, string gridDir)
    {
        var seen = new HashSet<string>();
        var plan = Plan(spec, gridDir);
        var groups = spec.Groups();
        var counts = groups.SelectMany(g => CellsOf(spec, gridDir, g).Where(c => c.Done || plan.Keeps(c))).Where(c => seen.Add(c.Dir))
            .GroupBy(c => c.Group.Setting.Name).ToDictionary(grp => grp.Key, grp => (Done: grp.Count(c => c.Done), Total: grp.Count()));
        // Every setting the grid holds, one the rule stopped before it trained anything as 0/0.
        return groups.Select(g => g.Setting.Name).Distinct()
            .Select(n => counts.TryGetValue(n, out var c) ? (n, c.Done, c.Total) : (n, 0, 0)).ToList();
    }

    /// <summary>
    /// The wall time a grid's finished runs took, and their summed training time (epoch seconds from every history.csv);
    /// zero when nothing has finished. Wall time is the length of the union of the runs' spans, from run.json's
    /// started_utc to metrics.json's finished_utc, so parallel workers count once and the pauses between the sittings of
    /// a study do not count at all. A run from before finished_utc was recorded spans its start plus its epoch seconds
    /// (its evaluation left out: file times cannot stand in, since a clone rewrites them).
    /// </summary>
    public static (TimeSpan Wall, TimeSpan Training) Timing(string gridDir)
    {
        var runs = Directory.EnumerateFiles(gridDir, "results.csv", SearchOption.AllDirectories).Select(Path.GetDirectoryName)
            .Where(d => File.Exists(Path.Combine(d!, "run.json"))).Select(d => d!).ToList();
        if (runs.Count == 0) return (TimeSpan.Zero, TimeSpan.Zero);
        static DateTime Utc(JsonNode? n) => DateTime.Parse((string)n!, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.RoundtripKind).ToUniversalTime();
        double EpochSeconds(string d) => File.Exists(Path.Combine(d, "history.csv")) && Reporting.HistoryCsv.Read(d).TryGetValue("seconds", out var s) ? s.Sum() : 0;
        var spans = runs.Select(d =>
        {
            var start = Utc(JsonNode.Parse(File.ReadAllText(Path.Combine(d, "run.json")))!["environment"]!["started_utc"]);
            var metrics = Path.Combine(d, "metrics.json");
            var finished = File.Exists(metrics) ? JsonNode.Parse(File.ReadAllText(metrics))?["finished_utc"] : null;
            return (Start: start, End: finished is null ? start + TimeSpan.FromSeconds(EpochSeconds(d)) : Utc(finished));
        }).OrderBy(x => x.Start).ToList();
        var wall = TimeSpan.Zero;
        var (from, to) = (spans[0].Start, spans[0].End);
        foreach (var (start, end) in spans.Skip(1))
        {
            if (start > to) { wall += to - from; (from, to) = (start, end); }
            else if (end > to) to = end;
        }
        wall += to - from;
        return (wall, TimeSpan.FromSeconds(runs.Sum(EpochSeconds)));
    }

    /// <summary>Short hash of everything that shapes a teacher: model, teacher schedule, classes, and the feature
    /// options when they differ from the default (so teacher folders of grids made before features.standardize
    /// existed keep their names).</summary>
    public static string TeacherKey(KitConfig cfg)
    {
        var json = cfg.Features == new Data.FeatureOptions()
            ? System.Text.Json.JsonSerializer.Serialize(new { cfg.Family, cfg.SentimentClasses, cfg.Model, cfg.Teacher }, KitConfig.Json)
            : System.Text.Json.JsonSerializer.Serialize(new { cfg.Family, cfg.SentimentClasses, cfg.Model, cfg.Teacher, cfg.Features }, KitConfig.Json);
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json));
        return "teacher-" + Convert.ToHexString(hash)[..8].ToLowerInvariant();
    }

    private static string[] VariantsOf(GridSpec spec, GridSpec.Group g) => g.Setting.Variants ?? spec.Variants;

    /// <summary>Every results.csv under the given folders (grids or single runs), merged; in a grid the setting
    /// name prefixes the variant ("tau1:kd") unless it is "default"; a shared teacher is named after the first
    /// setting that uses it (its key from the grid's own configs, as it was trained).</summary>
    public static List<ResultRow> CollectResults(IEnumerable<string> folders)
    {
        var rows = new List<ResultRow>();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"run folder not found: {folder}");
            var teacherSetting = new Dictionary<string, string>();
            if (File.Exists(Path.Combine(folder, "grid.json")))
            {
                var spec = GridSpec.Read(folder);
                var configs = new Dictionary<string, KitConfig>();
                foreach (var g in spec.Groups())
                    teacherSetting.TryAdd(TeacherKey(GroupConfig(folder, g, configs)), g.Setting.Name);
            }
            foreach (var f in Directory.EnumerateFiles(folder, "results.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (f.Contains($"{Path.DirectorySeparatorChar}report{Path.DirectorySeparatorChar}")) continue;   // a report's merged copy
                var setting = SettingOf(folder, f, teacherSetting);
                foreach (var r in ResultsCsv.Read(f))
                    rows.Add(setting is null or "default" ? r : r with { Variant = $"{setting}:{r.Variant}" });
            }
        }
        return rows;
    }

    /// <summary>The setting name of a results file inside a grid (GRID/runs/SETTING/...), else null.</summary>
    private static string? SettingOf(string root, string resultsFile, IReadOnlyDictionary<string, string> teacherSetting)
    {
        var rel = Path.GetRelativePath(root, resultsFile).Split(Path.DirectorySeparatorChar);
        int i = Array.IndexOf(rel, "runs");
        if (i >= 0 && rel.Length > i + 4) return rel[i + 1];
        int t = Array.IndexOf(rel, "teachers");
        return t >= 0 && rel.Length > t + 4 ? teacherSetting.GetValueOrDefault(rel[t + 3], rel[t + 3]) : null;   // teachers/DATASET/sSEED/teacher-HASH
    }
}
