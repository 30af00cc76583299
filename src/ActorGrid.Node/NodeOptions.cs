using ActorGrid.Hosting;
using ActorGrid.Hosting.Discovery;
using ActorGrid.Hosting.Trust;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Worker;

namespace ActorGrid.Node;

// The command line, checked and resolved into what the host runs with.
public sealed record NodeOptions(GridSettings Grid, string? HttpEndpoint, string AdminToken)
{
    public Logging.NodeLogging Logging { get; init; } = Node.Logging.NodeLogging.Default;

    public static NodeOptions Resolve(
        string data, string? http, string hostname, int port, string? seeds, string roles,
        string? nodeFile, string? db, string? configFile, string? tlsCert = null, string? tlsCa = null,
        DiscoverySettings? discovery = null)
    {
        var dataDir = Path.GetFullPath(data);
        Directory.CreateDirectory(dataDir);
        // The journal, the operator token and key hashes live here: the node's user alone may look.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var roleSet = roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var unknown = roleSet.Except(Roles.All).ToList();
        if (roleSet.Count == 0 || unknown.Count > 0)
            throw new ArgumentException($"--roles '{roles}' is not valid; use a comma-separated list of {string.Join(", ", Roles.All)}.");
        if (port is < 0 or > 65535) throw new ArgumentException($"--port {port} is not a TCP port.");

        if ((tlsCert is null) != (tlsCa is null))
            throw new ArgumentException("--tls-cert and --tls-ca go together: the host's <host>.pfx and the cluster's ca.crt from 'actorgrid certs init'.");
        var tls = tlsCert is null ? null : ClusterTrust.Load(tlsCert, tlsCa!, Environment.GetEnvironmentVariable(ClusterTrust.PasswordVariable));
        var seedList = (seeds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(seed => SeedFor(seed, tls is not null)).ToList();
        if (discovery is not null) CheckDiscovery(discovery, seedList.Count > 0, port, http);
        if (configFile is not null && !File.Exists(configFile)) throw new FileNotFoundException($"--config file '{configFile}' does not exist.");

        NodeDescriptor? node = null;
        if (nodeFile is not null) node = NodeDescriptorFile.Load(nodeFile);
        else if (roleSet.Contains(Roles.Worker)) node = NodeProbe.Detect(new NodeId(DefaultNodeId()));

        if (http is not null && !TryParseEndpoint(http)) throw new ArgumentException($"--http '{http}' must be host:port, e.g. 127.0.0.1:8080.");
        var endpoint = http ?? (roleSet.Contains(Roles.Gateway) ? "127.0.0.1:8080" : null);

        var grid = new GridSettings(
            hostname, port, seedList, roleSet, dataDir, DatabaseTarget.Parse(db, dataDir), node,
            Path.Combine(AppContext.BaseDirectory, "hocon"), configFile is null ? null : Path.GetFullPath(configFile), tls, discovery);
        return new NodeOptions(grid, endpoint, AdminTokenStore.Resolve(dataDir));
    }

    // A TLS host speaks akka.ssl.tcp only, so the akka.tcp:// seeds of existing scripts are
    // rewritten to it; an akka.ssl.tcp:// seed given to a host without TLS could never answer.
    private static string SeedFor(string seed, bool tls)
    {
        var plain = GridSettings.PlainProtocol + "://" + GridSettings.SystemName + "@";
        var secure = GridSettings.TlsProtocol + "://" + GridSettings.SystemName + "@";
        if (seed.StartsWith(plain, StringComparison.Ordinal))
            return tls ? secure + seed[plain.Length..] : seed;
        if (seed.StartsWith(secure, StringComparison.Ordinal))
            return tls ? seed : throw new ArgumentException($"--seeds entry '{seed}' is a TLS address; start this host with --tls-cert and --tls-ca as well.");
        throw new ArgumentException($"--seeds entry '{seed}' must look like {plain}host:port (or {secure}host:port on a TLS cluster).");
    }

    // Two ways to find the cluster would disagree about who founds it; one port cannot serve two servers.
    private static void CheckDiscovery(DiscoverySettings discovery, bool seeds, int port, string? http)
    {
        if (seeds)
            throw new ArgumentException($"--seeds and --discovery {discovery.Name} are two ways to find the cluster; give one. " +
                                        "Bootstrap joins through the contact points, so drop --seeds.");
        if (discovery.ManagementPort == port)
            throw new ArgumentException($"--management-port {discovery.ManagementPort} is also the remoting --port; give each its own.");
        if (http is not null && http.EndsWith(":" + discovery.ManagementPort, StringComparison.Ordinal))
            throw new ArgumentException($"--management-port {discovery.ManagementPort} is also the --http port; give each its own.");
    }

    private static bool TryParseEndpoint(string endpoint)
    {
        var cut = endpoint.LastIndexOf(':');
        return cut > 0 && int.TryParse(endpoint[(cut + 1)..], out var p) && p is > 0 and <= 65535;
    }

    // The machine's name, made into a valid node id ("Build-Box_7" → "build-box_7").
    private static string DefaultNodeId()
    {
        var name = new string(Environment.MachineName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('-', '.', '_');
        return IdRules.IsValid(name) ? name : "local";
    }
}
