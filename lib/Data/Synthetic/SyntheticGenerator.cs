using static TorchSharp.torch;

namespace CorrKD.Data.Synthetic;

/// <summary>
/// The hidden factors behind one generated split, for tests and notebooks that want to check what a model
/// recovered (never fed to a model). Index i matches the split's sample i.
/// </summary>
/// <param name="Video">Video (speaker) number of each sample.</param>
/// <param name="Valence">Sentiment: latent s. Emotion: latent valence.</param>
/// <param name="Arousal">Sentiment: |s|. Emotion: latent arousal.</param>
/// <param name="TrueClass">Emotion: the class the features were drawn from (before label noise); sentiment: sign of s (0 neg, 1 pos).</param>
/// <param name="Conflict">Sentiment: sarcastic (language carries -s). Emotion: masked (a non-neutral clip whose words carry no emotion).</param>
public sealed record SyntheticSplitTruth(int[] Video, float[] Valence, float[] Arousal, int[] TrueClass, bool[] Conflict);

/// <summary>Hidden factors of all three splits.</summary>
public sealed record SyntheticTruth(SyntheticSplitTruth Train, SyntheticSplitTruth Valid, SyntheticSplitTruth Test)
{
    public SyntheticSplitTruth Split(string name) => name switch
    {
        "train" => Train, "valid" => Valid, "test" => Test,
        _ => throw new ArgumentException($"unknown split '{name}': expected train, valid or test"),
    };
}

/// <summary>
/// The generative model of the synthetic benchmarks (equations in data/README.md, "Synthetic data").
/// Random streams are keyed by (seed, purpose, video, clip), so each clip is generated independently: the
/// result does not depend on thread count or order, and clips run in parallel.
/// </summary>
internal static class SyntheticGenerator
{
    private const ulong PurposeWorld = 1, PurposePlan = 2, PurposeVideo = 3, PurposeClip = 4;

    /// <summary>Fixed random objects shared by all clips of one data seed: vocabulary and directions.</summary>
    private sealed class World
    {
        public readonly float[] Vocab;          // (V, d_l), row w = word vector e_w
        public readonly double[] ZipfCdf;       // P(rank <= k)
        public readonly float[] LangDir;        // u_l (sentiment)
        public readonly float[][] LangClassDir; // u_c per class (emotion)
        public readonly float[] AudioValDir, AudioArDir, AudioCue;
        public readonly float[] VisionValDir, VisionCue;

        public World(SyntheticOptions o, ulong seed)
        {
            var rng = CounterRandom.For(seed, PurposeWorld);
            Vocab = rng.GaussianVector(o.VocabularySize * o.LanguageDim, o.WordVectorSd);
            ZipfCdf = new double[o.VocabularySize];
            double acc = 0;
            for (int k = 0; k < o.VocabularySize; k++) { acc += DetMath.Exp(-o.ZipfExponent * DetMath.Log(k + 1)); ZipfCdf[k] = acc; }
            for (int k = 0; k < ZipfCdf.Length; k++) ZipfCdf[k] /= acc;
            ZipfCdf[^1] = 1.0;
            LangDir = rng.UnitVector(o.LanguageDim);
            LangClassDir = Enumerable.Range(0, Math.Max(o.ClassNames.Count, 1)).Select(_ => rng.UnitVector(o.LanguageDim)).ToArray();
            AudioValDir = rng.UnitVector(o.AudioDim);
            AudioArDir = Orthogonalise(rng.UnitVector(o.AudioDim), AudioValDir);
            AudioCue = rng.UnitVector(o.AudioDim);
            VisionValDir = rng.UnitVector(o.VisionDim);
            VisionCue = rng.UnitVector(o.VisionDim);
        }

        /// <summary>Gram-Schmidt: x minus its projection on unit u, renormalised (valence and arousal stay separable).</summary>
        private static float[] Orthogonalise(float[] x, float[] u)
        {
            double dot = 0; for (int i = 0; i < x.Length; i++) dot += x[i] * u[i];
            var y = new double[x.Length]; double n2 = 0;
            for (int i = 0; i < x.Length; i++) { y[i] = x[i] - dot * u[i]; n2 += y[i] * y[i]; }
            double inv = 1 / Math.Sqrt(n2);
            return y.Select(v => (float)(v * inv)).ToArray();
        }
    }

    /// <summary>Per-video (speaker) nuisance: shared by all of that speaker's clips.</summary>
    private sealed class Video
    {
        public readonly int Id;
        public readonly double Bias, ArousalBias;
        public readonly float[] Topic, AudioOffset, VisionOffset;

        public Video(SyntheticOptions o, ulong seed, int id)
        {
            Id = id;
            var rng = CounterRandom.For(seed, PurposeVideo, (ulong)id);
            bool emo = o.Task == TaskKind.Emotion;
            Bias = rng.Normal(0, emo ? o.SpeakerValenceSd : o.SpeakerBiasSd);
            ArousalBias = emo ? rng.Normal(0, o.SpeakerArousalSd) : 0;
            Topic = rng.GaussianVector(o.LanguageDim, o.LanguageSpeakerOffsetSd);
            AudioOffset = rng.GaussianVector(o.AudioDim, o.AudioSpeakerOffsetSd);
            VisionOffset = rng.GaussianVector(o.VisionDim, o.VisionSpeakerOffsetSd);
        }
    }

    public static (MsaDataset Data, SyntheticTruth Truth) Generate(string name, string source, SyntheticOptions o, int dataSeed)
    {
        o.Validate();
        ulong seed = (ulong)(long)dataSeed;
        var world = new World(o, seed);
        var plan = PlanSplits(o, seed);
        int videoWidth = Math.Max(2, (o.TrainVideos + o.ValidVideos + o.TestVideos - 1).ToString().Length);
        var built = plan.Select(p => BuildSplit(p.Split, p.Videos, o, world, seed, videoWidth)).ToArray();
        var classes = o.Task == TaskKind.Emotion ? o.ClassNames.ToArray() : Array.Empty<string>();
        var data = new MsaDataset(name, source, o.Task, classes, built[0].Split, built[1].Split, built[2].Split);
        return (data, new SyntheticTruth(built[0].Truth, built[1].Truth, built[2].Truth));
    }

    /// <summary>
    /// Videos are shuffled and dealt to train/valid/test (so speakers are disjoint); within a split each video
    /// gets MinClipsPerVideo clips plus a log-normal-weighted share of the rest (largest remainder, exact total).
    /// </summary>
    private static (string Split, (int Video, int Clips)[] Videos)[] PlanSplits(SyntheticOptions o, ulong seed)
    {
        var rng = CounterRandom.For(seed, PurposePlan);
        int nv = o.TrainVideos + o.ValidVideos + o.TestVideos;
        var perm = rng.Permutation(nv);
        var spec = new[] { ("train", o.TrainVideos, o.TrainSize, 0), ("valid", o.ValidVideos, o.ValidSize, o.TrainVideos),
                           ("test", o.TestVideos, o.TestSize, o.TrainVideos + o.ValidVideos) };
        return spec.Select(sp =>
        {
            var (split, count, size, start) = sp;
            var vids = perm.Skip(start).Take(count).OrderBy(v => v).ToArray();
            var w = vids.Select(_ => DetMath.Exp(o.ClipsPerVideoLogSd * rng.NextGaussian())).ToArray();
            double wsum = w.Sum();
            int rest = size - count * o.MinClipsPerVideo;
            var exact = w.Select(x => rest * x / wsum).ToArray();
            var clips = exact.Select(x => (int)Math.Floor(x)).ToArray();
            int missing = rest - clips.Sum();
            foreach (var i in Enumerable.Range(0, count).OrderByDescending(i => exact[i] - clips[i]).ThenBy(i => i).Take(missing)) clips[i]++;
            return (split, vids.Select((v, i) => (v, clips[i] + o.MinClipsPerVideo)).ToArray());
        }).ToArray();
    }

    private static (MsaSplit Split, SyntheticSplitTruth Truth) BuildSplit(string split, (int Video, int Clips)[] videos,
        SyntheticOptions o, World world, ulong seed, int videoWidth)
    {
        int n = videos.Sum(v => v.Clips), T = o.SeqLen, dl = o.LanguageDim, da = o.AudioDim, dv = o.VisionDim;
        var lang = new float[(long)n * T * dl];
        var audio = new float[(long)n * T * da];
        var vision = new float[(long)n * T * dv];
        var labels = new float[n]; var lengths = new long[n]; var ids = new string[n];
        var truth = new SyntheticSplitTruth(new int[n], new float[n], new float[n], new int[n], new bool[n]);
        var jobs = new List<(Video V, int Clip, int Row)>(n);
        foreach (var (vid, clips) in videos)
        {
            var video = new Video(o, seed, vid);
            for (int c = 0; c < clips; c++) jobs.Add((video, c, jobs.Count));
        }
        Parallel.ForEach(jobs, job =>
        {
            var (video, clip, row) = job;
            var rng = CounterRandom.For(seed, PurposeClip, (ulong)video.Id, (ulong)clip);
            var buf = new ClipBuffers(lang.AsSpan(row * T * dl, T * dl), audio.AsSpan(row * T * da, T * da), vision.AsSpan(row * T * dv, T * dv));
            var f = o.Task == TaskKind.Emotion ? EmotionClip(o, world, video, rng, buf) : SentimentClip(o, world, video, rng, buf);
            labels[row] = f.Label; lengths[row] = f.Length;
            ids[row] = $"vid{video.Id.ToString("D" + videoWidth)}_clip{clip:D3}";
            truth.Video[row] = video.Id; truth.Valence[row] = (float)f.Valence; truth.Arousal[row] = (float)f.Arousal;
            truth.TrueClass[row] = f.TrueClass; truth.Conflict[row] = f.Conflict;
        });
        var mods = new[] { tensor(lang, new long[] { n, T, dl }), tensor(audio, new long[] { n, T, da }), tensor(vision, new long[] { n, T, dv }) };
        var lens = new[] { lengths, (long[])lengths.Clone(), (long[])lengths.Clone() };
        return (new MsaSplit(split, mods, lens, labels, ids), truth);
    }

    private readonly ref struct ClipBuffers(Span<float> l, Span<float> a, Span<float> v)
    {
        public readonly Span<float> L = l, A = a, V = v;
    }

    private readonly record struct ClipFactors(float Label, int Length, double Valence, double Arousal, int TrueClass, bool Conflict);

    /// <summary>L = clamp(round(exp(ln median + sigma * N(0,1))), MinLength, T).</summary>
    private static int DrawLength(SyntheticOptions o, CounterRandom rng)
    {
        double x = DetMath.Exp(DetMath.Log(o.LengthMedian) + o.LengthLogSd * rng.NextGaussian());
        return (int)Math.Clamp(Math.Round(x, MidpointRounding.AwayFromZero), o.MinLength, o.SeqLen);
    }

    /// <summary>
    /// Sentiment clip. s = clip(b_v + z, +-LatentClip), z ~ N(0, NeutralSd^2) w.p. NeutralShare else
    /// +-|N(PolarMean, PolarSd^2)|; y = (1/K) sum_k clip(round(s + N(0, sigma_ann^2)), -3, 3).
    /// Frame t &lt; L: x_l = e_w + topic_v [+ alpha_l p u_l on sentiment words], p = -s if sarcastic else s;
    /// x_a = o_v^a + eps [+ beta_av s u_av + beta_aa |s| u_aa + c_a cue_a*sarcastic on signal frames];
    /// x_v = o_v^v + eps [+ beta_vv s u_v + c_v cue_v*sarcastic on signal frames].
    /// </summary>
    private static ClipFactors SentimentClip(SyntheticOptions o, World w, Video video, CounterRandom rng, ClipBuffers buf)
    {
        double z = rng.Bernoulli(o.NeutralShare)
            ? rng.Normal(0, o.NeutralSd)
            : (rng.Bernoulli(0.5) ? 1 : -1) * Math.Abs(rng.Normal(o.PolarMean, o.PolarSd));
        double s = Math.Clamp(video.Bias + z, -o.LatentClip, o.LatentClip);
        bool sarcastic = rng.Bernoulli(o.SarcasmShare);
        int votes = 0;
        for (int k = 0; k < o.Annotators; k++)
            votes += (int)Math.Clamp(Math.Round(s + o.AnnotatorNoiseSd * rng.NextGaussian(), MidpointRounding.AwayFromZero), -3, 3);
        float label = (float)((double)votes / o.Annotators);
        int len = DrawLength(o, rng);
        double p = sarcastic ? -s : s;
        double sarc = sarcastic ? 1 : 0;
        for (int t = 0; t < len; t++)
        {
            WriteWord(o, w, video, rng, buf.L.Slice(t * o.LanguageDim, o.LanguageDim), w.LangDir, o.LanguageStrength * p);
            var a = buf.A.Slice(t * o.AudioDim, o.AudioDim);
            bool expressive = rng.Bernoulli(o.AudioSignalShare);
            for (int i = 0; i < a.Length; i++)
            {
                double x = video.AudioOffset[i] + o.AudioNoiseSd * rng.NextGaussian();
                if (expressive) x += o.AudioValence * s * w.AudioValDir[i] + o.AudioArousal * Math.Abs(s) * w.AudioArDir[i] + o.AudioSarcasmCue * sarc * w.AudioCue[i];
                a[i] = (float)x;
            }
            var v = buf.V.Slice(t * o.VisionDim, o.VisionDim);
            expressive = rng.Bernoulli(o.VisionSignalShare);
            for (int i = 0; i < v.Length; i++)
            {
                double x = video.VisionOffset[i] + o.VisionNoiseSd * rng.NextGaussian();
                if (expressive) x += o.VisionValence * s * w.VisionValDir[i] + o.VisionSarcasmCue * sarc * w.VisionCue[i];
                v[i] = (float)x;
            }
        }
        return new ClipFactors(label, len, s, Math.Abs(s), s >= 0 ? 1 : 0, sarcastic);
    }

    /// <summary>
    /// Emotion clip. c ~ Categorical(ClassShares); valence = V_c + b_v + N(0, j^2), arousal = A_c + b'_v + N(0, j^2);
    /// masked (non-first class, w.p. MaskedEmotionShare): the words carry no emotion (suppressed emotion);
    /// label = c, or w.p. LabelNoise a fresh draw from the prior.
    /// Frame t &lt; L: x_l = e_w + topic_v [+ alpha_l u_c on emotion words, none if masked];
    /// x_a = o_v^a + eps [+ beta_av valence u_av + beta_aa arousal u_aa on signal frames];
    /// x_v = o_v^v + eps [+ beta_vv valence u_v on signal frames].
    /// </summary>
    private static ClipFactors EmotionClip(SyntheticOptions o, World w, Video video, CounterRandom rng, ClipBuffers buf)
    {
        var cdf = Cdf(o.ClassShares);
        int c = rng.Categorical(cdf);
        double valence = o.ClassValence[c] + video.Bias + rng.Normal(0, o.EmotionJitterSd);
        double arousal = o.ClassArousal[c] + video.ArousalBias + rng.Normal(0, o.EmotionJitterSd);
        bool masked = c != 0 && rng.Bernoulli(o.MaskedEmotionShare);
        double langAmount = masked ? 0 : o.LanguageStrength; // masked: the words carry no emotion at all
        int label = rng.Bernoulli(o.LabelNoise) ? rng.Categorical(cdf) : c;
        int len = DrawLength(o, rng);
        for (int t = 0; t < len; t++)
        {
            WriteWord(o, w, video, rng, buf.L.Slice(t * o.LanguageDim, o.LanguageDim), w.LangClassDir[c], langAmount);
            var a = buf.A.Slice(t * o.AudioDim, o.AudioDim);
            bool expressive = rng.Bernoulli(o.AudioSignalShare);
            for (int i = 0; i < a.Length; i++)
            {
                double x = video.AudioOffset[i] + o.AudioNoiseSd * rng.NextGaussian();
                if (expressive) x += o.AudioValence * valence * w.AudioValDir[i] + o.AudioArousal * arousal * w.AudioArDir[i];
                a[i] = (float)x;
            }
            var v = buf.V.Slice(t * o.VisionDim, o.VisionDim);
            expressive = rng.Bernoulli(o.VisionSignalShare);
            for (int i = 0; i < v.Length; i++)
            {
                double x = video.VisionOffset[i] + o.VisionNoiseSd * rng.NextGaussian();
                if (expressive) x += o.VisionValence * valence * w.VisionValDir[i];
                v[i] = (float)x;
            }
        }
        return new ClipFactors(label, len, valence, arousal, c, masked);
    }

    /// <summary>One language frame: a Zipf-drawn word vector plus the speaker's topic; w.p. SentimentWordShare also amount * dir.</summary>
    private static void WriteWord(SyntheticOptions o, World w, Video video, CounterRandom rng, Span<float> x, float[] dir, double amount)
    {
        int word = rng.Categorical(w.ZipfCdf);
        bool sentimentWord = rng.Bernoulli(o.SentimentWordShare);
        var e = w.Vocab.AsSpan(word * o.LanguageDim, o.LanguageDim);
        for (int i = 0; i < x.Length; i++)
        {
            double y = e[i] + video.Topic[i];
            if (sentimentWord) y += amount * dir[i];
            x[i] = (float)y;
        }
    }

    private static double[] Cdf(IReadOnlyList<double> shares)
    {
        double sum = shares.Sum(), acc = 0;
        var cdf = shares.Select(x => acc += x / sum).ToArray();
        cdf[^1] = 1.0;
        return cdf;
    }
}
