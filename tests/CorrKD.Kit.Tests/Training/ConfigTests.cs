using System.Text.Json.Nodes;
using CorrKD.Training;
using Xunit;

namespace CorrKD.Tests.Training;

public class ConfigTests
{
    [Theory]
    [InlineData("mosi", 10, 0.001, 128, 50)]
    [InlineData("mosei", 8, 0.002, 16, 20)]
    [InlineData("iemocap", 10, 0.004, 32, 30)]
    public void EmbeddedConfigsCarryHrlfsPublishedSchedule(string family, int heads, double lr, int batch, int epochs)
    {
        var c = KitConfig.Default(family);
        Assert.Equal(heads, c.Model.Heads);
        Assert.Equal(lr, c.Teacher.LearningRate);
        Assert.Equal(batch, c.Teacher.BatchSize);
        Assert.Equal(epochs, c.Student.Epochs);
        Assert.Equal(40, c.Model.HiddenDim);
    }

    [Fact]
    public void UnknownKeysAndBadValuesAreNamed()
    {
        Assert.Contains("learning_rat", Assert.Throws<ArgumentException>(() => KitConfig.Parse("{\"teacher\": {\"learning_rat\": 1}}", "x.json")).Message);
        Assert.Contains("batch_size", Assert.Throws<ArgumentException>(() => KitConfig.Parse("{\"teacher\": {\"batch_size\": 0}}", "x.json")).Message);
    }

    [Fact]
    public void ConfigRoundTripsThroughJson()
    {
        var c = KitConfig.Default("mosi") with { SentimentClasses = 3 };
        Assert.Equal(c.ToJson(), KitConfig.Parse(c.ToJson(), "rt").ToJson());
    }

    [Fact]
    public void FamilyFollowsTheDataSetName()
    {
        Assert.Equal("iemocap", KitConfig.FamilyOf("synthetic-iemocap-tiny"));
        Assert.Equal("mosei", KitConfig.FamilyOf("mosei-aligned_50"));
        Assert.Equal("mosi", KitConfig.FamilyOf("synthetic-mosi"));
    }

    [Fact]
    public void TeacherFoldersOfExistingGridsKeepTheirNames_AndStandardisingGetsItsOwnTeacher()
    {
        // Pinned: the key the default MOSI teacher had before features.standardize and model.attention existed (grid
        // folders made then use it), and the key of the shipped config, which chooses the attention kernel.
        var cfg = KitConfig.Default("mosi");
        Assert.Equal("teacher-be5719d5", CorrKD.Experiments.GridRunner.TeacherKey(cfg with { Model = cfg.Model with { Attention = null } }));
        Assert.Equal("teacher-a5e47cf0", CorrKD.Experiments.GridRunner.TeacherKey(cfg));
        var on = cfg with { Features = new() { Standardize = true } };
        Assert.NotEqual(CorrKD.Experiments.GridRunner.TeacherKey(cfg), CorrKD.Experiments.GridRunner.TeacherKey(on));
        Assert.Contains("\"standardize\": true", on.ToJson());
        Assert.Contains("\"standardize\": false", cfg.ToJson());   // config.json always records the choice
    }

    [Fact]
    public void TheStandardizeFlagPatchesEverySettingOfAGrid()
    {
        var spec = CorrKD.Experiments.Study.Spec(new[] { "synthetic-mosi-tiny" }, smoke: true)
            .WithPatch(new JsonObject { ["features"] = new JsonObject { ["standardize"] = true } });
        Assert.All(spec.Settings, s => Assert.True(CorrKD.Experiments.GridSpec.ConfigFor(s, "synthetic-mosi-tiny").Features.Standardize));
        Assert.Equal(1, CorrKD.Experiments.GridSpec.ConfigFor(spec.Settings[1], "synthetic-mosi-tiny").Distillation.KdTemperature);   // the setting's own patch stays
    }
}
