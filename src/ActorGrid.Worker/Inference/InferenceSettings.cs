using Akka.Configuration;

namespace ActorGrid.Worker.Inference;

// actorgrid.inference from HOCON: ONNX Runtime session options, the micro-batcher's limits,
// routing and size limits. Every value has a default that suits the embedded grid.
public sealed record InferenceSettings(
    int IntraOpThreads,
    int InterOpThreads,
    string GraphOptimizationLevel,
    IReadOnlyList<string> ExecutionProviders,
    int MaxBatchSize,
    TimeSpan MaxQueueDelay,
    int MaxQueuePerModel,
    TimeSpan StatusInterval,
    TimeSpan StatusStaleAfter,
    long MaxModelBytes,
    long MaxRequestBytes,
    int DefaultSlaMs,
    TimeSpan ModelCacheFor,
    int BlobChunkBytes,
    TimeSpan BlobFetchTimeout,
    int AuditBatchSize,
    TimeSpan AuditFlushInterval,
    TimeSpan AuditRetention,
    IReadOnlyDictionary<string, TimeSpan> AuditRetentionByTenant,
    TimeSpan AuditPruneInterval,
    bool OwnChip = true,
    long MaxReplyBytesBetweenHosts = InferenceSettings.DefaultFrameBytes - InferenceSettings.ReplyEnvelopeBytes)
{
    private const long DefaultFrameBytes = 20L * 1024 * 1024;
    // Room in a frame for what is not tensor bytes: the reply's JSON, names and shapes.
    private const long ReplyEnvelopeBytes = 64 * 1024;

    // How long a tenant's audit records are kept: its own setting, else the default.
    public TimeSpan RetentionFor(string tenant) => AuditRetentionByTenant.TryGetValue(tenant, out var r) ? r : AuditRetention;

    public static readonly InferenceSettings Default = From(ConfigurationFactory.Empty);

    public static InferenceSettings From(Config config)
    {
        var c = config.HasPath("actorgrid.inference") ? config.GetConfig("actorgrid.inference") : ConfigurationFactory.Empty;
        var providers = c.HasPath("execution-providers") ? c.GetStringList("execution-providers") : ["auto"];
        return new InferenceSettings(
            ReadIntraOpThreads(c),
            c.GetInt("inter-op-threads", 1),
            c.GetString("graph-optimization-level", "all"),
            [.. providers.Select(p => p.Trim().ToLowerInvariant())],
            Math.Max(1, c.GetInt("max-batch-size", 8)),
            c.GetTimeSpan("max-queue-delay", TimeSpan.Zero),
            Math.Max(1, c.GetInt("max-queue-per-model", 256)),
            c.GetTimeSpan("status-interval", TimeSpan.FromMilliseconds(250)),
            c.GetTimeSpan("status-stale-after", TimeSpan.FromSeconds(3)),
            Bytes(c, "max-model-bytes", 64L * 1024 * 1024),
            Bytes(c, "max-request-bytes", 16L * 1024 * 1024),
            c.GetInt("default-sla-ms", 80),
            c.GetTimeSpan("model-cache-for", TimeSpan.FromSeconds(2)),
            (int)Bytes(c, "blob-chunk-bytes", 1024 * 1024),
            c.GetTimeSpan("blob-fetch-timeout", TimeSpan.FromSeconds(30)),
            Math.Max(1, c.GetInt("audit.batch-size", 256)),
            c.GetTimeSpan("audit.flush-interval", TimeSpan.FromMilliseconds(100)),
            c.GetTimeSpan("audit.retention", TimeSpan.FromDays(365)),
            RetentionByTenant(c),
            c.GetTimeSpan("audit.prune-interval", TimeSpan.FromHours(1)),
            c.GetBoolean("own-chip", true),
            Bytes(config, "akka.remote.dot-netty.tcp.maximum-frame-size", DefaultFrameBytes) - ReplyEnvelopeBytes);
    }

    // auto (0: chosen per load, see OnnxSessionFactory.IntraOpThreadsFor) or a fixed count.
    private static int ReadIntraOpThreads(Config c)
    {
        var text = c.HasPath("intra-op-threads") ? c.GetString("intra-op-threads").Trim() : "auto";
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return 0;
        if (int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1) return n;
        throw new ConfigurationException($"actorgrid.inference.intra-op-threads = '{text}' is not valid; use auto or a count of 1 or more.");
    }

    // audit.tenant-retention { acme = 30d, globex = 7d }
    private static Dictionary<string, TimeSpan> RetentionByTenant(Config c)
    {
        var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        if (!c.HasPath("audit.tenant-retention")) return result;
        var section = c.GetConfig("audit.tenant-retention");
        foreach (var (tenant, _) in section.AsEnumerable())
            result[tenant.Trim('"')] = section.GetTimeSpan(tenant);
        return result;
    }

    // Sizes may be written as 64MiB or as plain numbers.
    private static long Bytes(Config c, string path, long fallback) =>
        c.HasPath(path) ? c.GetByteSize(path) ?? fallback : fallback;
}
