namespace CorrKD.Data.Synthetic;

/// <summary>
/// Every knob of the synthetic generators. The property initialisers ARE the synthetic-mosi defaults (the
/// rebalanced settings of the PyTorch prototype, see data/README.md "Synthetic data"); the other presets are
/// built from them with <c>with</c> in <see cref="Presets"/>, the one place where defaults are named.
/// Units: feature noise has sd 1 per coordinate (audio, vision); every "strength" multiplies a unit-norm
/// direction, so a strength of 1 moves a frame by one noise sd along that direction.
/// </summary>
public sealed record SyntheticOptions
{
    // ---- what kind of labels ----
    /// <summary>Sentiment: score in [-3, 3] from annotators. Emotion: class index in 0..K-1.</summary>
    public TaskKind Task { get; init; } = TaskKind.Sentiment;

    // ---- sizes ----
    public int TrainSize { get; init; } = 1284;
    public int ValidSize { get; init; } = 229;
    public int TestSize { get; init; } = 686;
    /// <summary>Videos (speakers) per split; splits are made by video, so no speaker appears in two splits. MOSI: 93 videos.</summary>
    public int TrainVideos { get; init; } = 52;
    public int ValidVideos { get; init; } = 10;
    public int TestVideos { get; init; } = 31;
    /// <summary>Every video gets at least this many clips; the rest are shared by log-normal weights with this sd.</summary>
    public int MinClipsPerVideo { get; init; } = 3;
    public double ClipsPerVideoLogSd { get; init; } = 0.4;

    // ---- shapes ----
    /// <summary>T: frames per sample (word-aligned, same for all three modalities).</summary>
    public int SeqLen { get; init; } = 50;
    public int LanguageDim { get; init; } = 300;
    public int AudioDim { get; init; } = 5;
    public int VisionDim { get; init; } = 20;
    /// <summary>Valid length L = clamp(round(exp(ln(LengthMedian) + LengthLogSd * N(0,1))), MinLength, SeqLen); frames L..T-1 are zero.</summary>
    public double LengthMedian { get; init; } = 16;
    public double LengthLogSd { get; init; } = 0.5;
    public int MinLength { get; init; } = 3;

    // ---- language: Zipf vocabulary of random word vectors ----
    public int VocabularySize { get; init; } = 4000;
    /// <summary>P(word rank k) proportional to 1/k^ZipfExponent.</summary>
    public double ZipfExponent { get; init; } = 1.0;
    /// <summary>Per-coordinate sd of a word vector (GloVe-like norms of ~5 in 300-d).</summary>
    public double WordVectorSd { get; init; } = 0.3;
    /// <summary>Share of valid language frames that are sentiment (emotion) words.</summary>
    public double SentimentWordShare { get; init; } = 0.4;
    /// <summary>alpha_l: a sentiment word adds alpha_l * polarity * u_l (emotion: alpha_l * u_class).</summary>
    public double LanguageStrength { get; init; } = 1.0;
    /// <summary>Per-video topic vector added to every word, per-coordinate sd (same-speaker nuisance in language).</summary>
    public double LanguageSpeakerOffsetSd { get; init; } = 0.1;

    // ---- audio and vision: per-video offset + frame noise + signal on "signal frames" ----
    public double AudioSpeakerOffsetSd { get; init; } = 0.5;
    public double VisionSpeakerOffsetSd { get; init; } = 0.5;
    public double AudioNoiseSd { get; init; } = 1.0;
    public double VisionNoiseSd { get; init; } = 1.0;
    /// <summary>Share of valid frames on which the speaker is expressive (signal frames).</summary>
    public double AudioSignalShare { get; init; } = 0.4;
    public double VisionSignalShare { get; init; } = 0.3;
    /// <summary>Audio expressiveness = AudioValence * s * u_av + AudioArousal * |s| * u_aa (weak valence, strong arousal).</summary>
    public double AudioValence { get; init; } = 0.6;
    public double AudioArousal { get; init; } = 1.0;
    /// <summary>Vision signal frames add VisionValence * s * u_v (emotion: class valence).</summary>
    public double VisionValence { get; init; } = 0.7;

    // ---- sentiment latent and labels (Task = Sentiment) ----
    /// <summary>b_v ~ N(0, SpeakerBiasSd^2): a speaker's general positivity.</summary>
    public double SpeakerBiasSd { get; init; } = 0.7;
    /// <summary>Share of neutral clips, whose z ~ N(0, NeutralSd^2); the others get z = +-|N(PolarMean, PolarSd^2)|.</summary>
    public double NeutralShare { get; init; } = 0.3;
    public double NeutralSd { get; init; } = 0.5;
    public double PolarMean { get; init; } = 1.4;
    public double PolarSd { get; init; } = 0.8;
    /// <summary>s = clip(b_v + z, -LatentClip, LatentClip).</summary>
    public double LatentClip { get; init; } = 3.2;
    /// <summary>Label = mean over Annotators of clip(round(s + N(0, AnnotatorNoiseSd^2)), -3, 3): a 1/Annotators grid.</summary>
    public int Annotators { get; init; } = 5;
    public double AnnotatorNoiseSd { get; init; } = 1.4;
    /// <summary>Sarcastic clips: language carries -s; audio and vision signal frames carry a fixed cue vector.</summary>
    public double SarcasmShare { get; init; } = 0.06;
    public double AudioSarcasmCue { get; init; } = 1.0;
    public double VisionSarcasmCue { get; init; } = 1.0;

    // ---- emotion latent and labels (Task = Emotion) ----
    public IReadOnlyList<string> ClassNames { get; init; } = Array.Empty<string>();
    /// <summary>Class prior (normalised on use).</summary>
    public IReadOnlyList<double> ClassShares { get; init; } = Array.Empty<double>();
    /// <summary>Per-class centre of the latent valence and arousal.</summary>
    public IReadOnlyList<double> ClassValence { get; init; } = Array.Empty<double>();
    public IReadOnlyList<double> ClassArousal { get; init; } = Array.Empty<double>();
    /// <summary>Clip-level jitter of valence and arousal around the class centre.</summary>
    public double EmotionJitterSd { get; init; } = 0.4;
    /// <summary>Per-speaker valence/arousal bias (emotion task's speaker nuisance).</summary>
    public double SpeakerValenceSd { get; init; } = 0.3;
    public double SpeakerArousalSd { get; init; } = 0.3;
    /// <summary>Share of non-first-class (non-neutral) clips whose words carry no emotion (masked emotion): only audio/vision reveal the class.</summary>
    public double MaskedEmotionShare { get; init; } = 0.08;
    /// <summary>Share of labels replaced by a class drawn from the prior (annotator disagreement).</summary>
    public double LabelNoise { get; init; } = 0.1;

    /// <summary>Throws ArgumentException naming the first option that cannot be used.</summary>
    public void Validate()
    {
        void Check(bool ok, string name, object value, string expected)
        { if (!ok) throw new ArgumentException($"SyntheticOptions.{name} = {value}: expected {expected}"); }
        Check(TrainSize > 0 && ValidSize > 0 && TestSize > 0, "TrainSize/ValidSize/TestSize", $"{TrainSize}/{ValidSize}/{TestSize}", "> 0");
        Check(TrainVideos > 0 && ValidVideos > 0 && TestVideos > 0, "TrainVideos/ValidVideos/TestVideos", $"{TrainVideos}/{ValidVideos}/{TestVideos}", "> 0");
        Check(MinClipsPerVideo >= 1, nameof(MinClipsPerVideo), MinClipsPerVideo, ">= 1");
        Check(TrainSize >= TrainVideos * MinClipsPerVideo && ValidSize >= ValidVideos * MinClipsPerVideo && TestSize >= TestVideos * MinClipsPerVideo,
            "split sizes", $"{TrainSize}/{ValidSize}/{TestSize}", $"at least videos x MinClipsPerVideo ({MinClipsPerVideo}) per split");
        Check(SeqLen >= 1, nameof(SeqLen), SeqLen, ">= 1");
        Check(LanguageDim >= 1 && AudioDim >= 2 && VisionDim >= 1, "LanguageDim/AudioDim/VisionDim", $"{LanguageDim}/{AudioDim}/{VisionDim}", "l >= 1, a >= 2 (valence and arousal directions), v >= 1");
        Check(MinLength >= 1 && MinLength <= SeqLen, nameof(MinLength), MinLength, $"in 1..SeqLen ({SeqLen})");
        Check(LengthMedian > 0, nameof(LengthMedian), LengthMedian, "> 0");
        Check(VocabularySize >= 1, nameof(VocabularySize), VocabularySize, ">= 1");
        Check(Annotators >= 1, nameof(Annotators), Annotators, ">= 1");
        foreach (var (n, p) in new[] { (nameof(SentimentWordShare), SentimentWordShare), (nameof(AudioSignalShare), AudioSignalShare),
                     (nameof(VisionSignalShare), VisionSignalShare), (nameof(NeutralShare), NeutralShare), (nameof(SarcasmShare), SarcasmShare),
                     (nameof(MaskedEmotionShare), MaskedEmotionShare), (nameof(LabelNoise), LabelNoise) })
            Check(p >= 0 && p <= 1, n, p, "a probability in [0, 1]");
        if (Task == TaskKind.Emotion)
        {
            int k = ClassNames.Count;
            Check(k >= 2, nameof(ClassNames), k, "at least 2 classes for the emotion task");
            Check(ClassShares.Count == k && ClassValence.Count == k && ClassArousal.Count == k, "ClassShares/ClassValence/ClassArousal",
                $"{ClassShares.Count}/{ClassValence.Count}/{ClassArousal.Count} values", $"one value per class ({k})");
            Check(ClassShares.All(x => x >= 0) && ClassShares.Sum() > 0, nameof(ClassShares), string.Join(",", ClassShares), "non-negative with a positive sum");
        }
    }
}

/// <summary>The named presets of <see cref="SyntheticCatalog"/>; every default that differs from synthetic-mosi is set here.</summary>
public static class Presets
{
    /// <summary>MOSI-shaped: 1284/229/686 clips from 52/10/31 videos, T=50, dims 300/5/20.</summary>
    public static SyntheticOptions Mosi { get; } = new();

    /// <summary>64/32/32 clips, same dims, T=12: fast tests that can still learn.</summary>
    public static SyntheticOptions MosiTiny { get; } = Mosi with
    {
        TrainSize = 64, ValidSize = 32, TestSize = 32, TrainVideos = 8, ValidVideos = 4, TestVideos = 4,
        SeqLen = 12, LengthMedian = 8, VocabularySize = 500,
    };

    /// <summary>
    /// IEMOCAP-shaped: 2717/798/938 utterances from 91/28/32 dialogues, T=20, dims 300/74/35, 4 emotions.
    /// Class shares approximate the 4-class IEMOCAP files (neutral most frequent, happy least).
    /// </summary>
    public static SyntheticOptions Iemocap { get; } = Mosi with
    {
        Task = TaskKind.Emotion,
        TrainSize = 2717, ValidSize = 798, TestSize = 938, TrainVideos = 91, ValidVideos = 28, TestVideos = 32,
        SeqLen = 20, LanguageDim = 300, AudioDim = 74, VisionDim = 35, LengthMedian = 10,
        ClassNames = new[] { "neutral", "happy", "sad", "angry" },
        ClassShares = new[] { 0.40, 0.15, 0.21, 0.24 },
        ClassValence = new[] { 0.0, 1.0, -1.0, -0.8 },
        ClassArousal = new[] { 0.0, 0.6, -0.8, 1.0 },
        LanguageStrength = 1.0,
        AudioValence = 0.5, AudioArousal = 1.5, VisionValence = 0.5,
        AudioSignalShare = 0.7, VisionSignalShare = 0.4,
        AudioSpeakerOffsetSd = 0.4, VisionSpeakerOffsetSd = 0.5,
    };

    /// <summary>64/32/32 utterances, same dims, T=12.</summary>
    public static SyntheticOptions IemocapTiny { get; } = Iemocap with
    {
        TrainSize = 64, ValidSize = 32, TestSize = 32, TrainVideos = 8, ValidVideos = 4, TestVideos = 4,
        SeqLen = 12, LengthMedian = 8, VocabularySize = 500,
    };
}
