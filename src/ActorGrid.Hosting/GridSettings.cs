using ActorGrid.Hosting.Discovery;
using ActorGrid.Hosting.Trust;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Hosting;

public static class Roles
{
    public const string Core = "core";
    public const string Gateway = "gateway";
    public const string Worker = "worker";
    public static readonly IReadOnlyList<string> All = [Core, Gateway, Worker];
}

// Everything one host needs to join the grid, resolved from the command line and defaults.
// Seeds empty and no Discovery means "seed myself": the embedded grid, a cluster of one. Discovery
// set means Cluster Bootstrap finds the peers instead of seeds. Tls set means remoting runs mutual
// TLS against the cluster CA, and every address is akka.ssl.tcp://.
public sealed record GridSettings(
    string Hostname,
    int Port,
    IReadOnlyList<string> Seeds,
    IReadOnlySet<string> Roles,
    string DataDirectory,
    DatabaseTarget Database,
    NodeDescriptor? Node,
    string HoconDirectory,
    string? ExtraConfigFile,
    ClusterTrust? Tls = null,
    DiscoverySettings? Discovery = null)
{
    public const string SystemName = "actorgrid";
    public const string PlainProtocol = "akka.tcp";
    // What Akka's DotNetty transport calls itself with enable-ssl: "akka." + "ssl." + "tcp".
    public const string TlsProtocol = "akka.ssl.tcp";

    public string Protocol => Tls is null ? PlainProtocol : TlsProtocol;

    // A member of a cluster of several hosts, found through --seeds or --discovery.
    public bool IsMultiHost => Seeds.Count > 0 || Discovery is not null;

    // A multi-host member (or one reachable beyond loopback) without TLS: anyone who reaches its
    // remoting port can join.
    public bool IsOpenToStrangers => Tls is null && (IsMultiHost || !IsLoopback(Hostname));

    private static bool IsLoopback(string host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    public bool Has(string role) => Roles.Contains(role);
}
