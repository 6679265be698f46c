using CorrKD.Data;
using CorrKD.Reporting;
using Xunit;

namespace CorrKD.Tests.Reporting;

public sealed class ResultsCsvTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("corrkd-results-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void WriteThenRead_RoundTripsEveryFieldExactly()
    {
        var rows = new[]
        {
            new ResultRow("MOSI", "corrkd", 1, "inter", "la", "", "f1_non0", 0.1 + 0.2), // 0.30000000000000004 must survive
            new ResultRow("IEMOCAP", "w/o SCD, v2", 7, "intra", "0.3", "happy", "f1", double.NaN), // comma forces quoting
            new ResultRow("MOSEI", "\"quoted\"", -3, "inter", "lav", "", "mae", 1e-300),
        };
        var path = Path.Combine(dir, "results.csv");
        ResultsCsv.Write(path, rows);
        Assert.StartsWith("dataset,variant,seed,protocol,condition,emotion,metric,value\n", File.ReadAllText(path));
        var back = ResultsCsv.Read(path);
        Assert.Equal(rows, back); // records compare NaN equal via double.Equals
        Assert.Equal(0.1 + 0.2, back[0].Value);
    }

    [Fact]
    public void Write_IsAtomic_LeavesNoTempFiles_AndReplacesTarget()
    {
        var path = Path.Combine(dir, "r.csv");
        ResultsCsv.Write(path, [new ResultRow("MOSI", "a", 1, "inter", "l", "", "f1_non0", 0.5)]);
        ResultsCsv.Write(path, [new ResultRow("MOSI", "b", 2, "inter", "l", "", "f1_non0", 0.6)]);
        Assert.Equal(["r.csv"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal("b", ResultsCsv.Read(path).Single().Variant);
    }

    [Fact]
    public void Read_BadValue_NamesFileLineAndColumn()
    {
        var path = Path.Combine(dir, "bad.csv");
        File.WriteAllText(path, ResultsCsv.Header + "\nMOSI,corrkd,1,inter,l,,f1_non0,0.5\nMOSI,corrkd,1,inter,a,,f1_non0,0,5\nMOSI,x,one,inter,a,,f1,0.5\n");
        var e = Assert.Throws<DataFormatException>(() => ResultsCsv.Read(path));
        Assert.Contains("bad.csv", e.Message);
        Assert.Contains("line 3", e.Message); // 9 fields: a decimal comma
        File.WriteAllText(path, ResultsCsv.Header + "\nMOSI,x,one,inter,a,,f1,0.5\n");
        e = Assert.Throws<DataFormatException>(() => ResultsCsv.Read(path));
        Assert.Contains("line 2, column 'seed'", e.Message);
        File.WriteAllText(path, "dataset,model,value\n");
        Assert.Contains("header", Assert.Throws<DataFormatException>(() => ResultsCsv.Read(path)).Message);
    }

    [Fact]
    public void Merge_DeduplicatesIdenticalRows_RejectsConflicts()
    {
        string a = Path.Combine(dir, "a.csv"), b = Path.Combine(dir, "b.csv"), c = Path.Combine(dir, "c.csv");
        var r1 = new ResultRow("MOSI", "corrkd", 1, "inter", "l", "", "f1_non0", 0.8);
        var r2 = r1 with { Seed = 2, Value = 0.7 };
        ResultsCsv.Write(a, [r1]);
        ResultsCsv.Write(b, [r1, r2]);
        ResultsCsv.Write(c, [r1 with { Value = 0.81 }]);
        Assert.Equal([r1, r2], ResultsCsv.Merge([a, b]));
        var e = Assert.Throws<DataFormatException>(() => ResultsCsv.Merge([a, c]));
        Assert.Contains("a.csv", e.Message);
        Assert.Contains("c.csv", e.Message);
    }

    [Fact]
    public void WithInterAverage_IsMeanOfTheSixIncompleteSets_ExcludingComplete()
    {
        // l..av = 1..6 -> avg 3.5; lav (100) must not enter it
        var rows = ResultRows.IncompleteConditions.Select((c, i) => new ResultRow("MOSI", "corrkd", 1, "inter", c, "", "f1_non0", i + 1.0))
            .Append(new ResultRow("MOSI", "corrkd", 1, "inter", "lav", "", "f1_non0", 100))
            // seed 2 lacks {a,v}: no avg row for it
            .Concat(new[] { "l", "a", "v", "la", "lv" }.Select(c => new ResultRow("MOSI", "corrkd", 2, "inter", c, "", "f1_non0", 0.5)))
            .ToList();
        var avg = ResultRows.WithInterAverage(rows).Where(r => r.Condition == "avg").ToList();
        Assert.Equal(3.5, Assert.Single(avg).Value, 12);
        Assert.Equal(1, avg[0].Seed);
    }

    [Fact]
    public void Protocols_RateFormatting() => Assert.Equal(["0.0", "0.3", "1.0"], new[] { 0.0, 0.3, 1.0 }.Select(Protocols.Rate));
}
