using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Runtime.Hosting;

public static class Roles
{
    public const string Core = "core";
    public const string Gateway = "gateway";
    public const string Worker = "worker";
    public static readonly IReadOnlyList<string> All = [Core, Gateway, Worker];
}

// Everything one host needs to join the grid, resolved from the command line and defaults.
// Seeds empty means "seed myself": the embedded grid, a cluster of one.
public sealed record GridSettings(
    string Hostname,
    int Port,
    IReadOnlyList<string> Seeds,
    IReadOnlySet<string> Roles,
    string DataDirectory,
    DatabaseTarget Database,
    NodeDescriptor? Node,
    string HoconDirectory,
    string? ExtraConfigFile)
{
    public const string SystemName = "actorgrid";

    public bool Has(string role) => Roles.Contains(role);
}
