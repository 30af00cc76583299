using System.CommandLine;
using ActorGrid.Hosting.Trust;
using ActorGrid.Node.Logging;

namespace ActorGrid.Node;

// The options of ActorGrid.Node (the contract in issue 2; extend it, don't change it).
public static class NodeCommandLine
{
    public static RootCommand Build()
    {
        var data = new Option<string>("--data") { Description = "Directory for the SQLite journal, the operator token and other state.", DefaultValueFactory = _ => "./data" };
        var http = new Option<string?>("--http") { Description = "host:port the HTTP gateway listens on. Default 127.0.0.1:8080 on gateway hosts; other hosts serve /healthz and /readyz only when it is given." };
        var hostname = new Option<string>("--hostname") { Description = "Hostname or IP other cluster members reach this host at.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Akka remoting port (0 = any free port).", DefaultValueFactory = _ => 4053 };
        var seeds = new Option<string?>("--seeds") { Description = "Comma-separated seed addresses, e.g. akka.tcp://actorgrid@10.0.0.1:4053. None: this host seeds itself (embedded grid)." };
        var roles = new Option<string>("--roles") { Description = "Comma-separated roles: core (entities, placement), gateway (HTTP API), worker (runs tasks).", DefaultValueFactory = _ => "core,gateway,worker" };
        var node = new Option<string?>("--node") { Description = "Node descriptor (HOCON) for a worker host: tier, site, zone, cpu, memory, chips, prices. Default: detected from this machine." };
        var db = new Option<string?>("--db") { Description = "Journal: a SQLite file (default <data>/actorgrid.db) or postgresql://user:password@host:port/database (required when several core hosts share the journal)." };
        var config = new Option<string?>("--config") { Description = "Extra HOCON file applied over hocon/actorgrid.hocon and the role overrides." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = $"This host's certificate and key (<host>.pfx from 'actorgrid certs init'; password in ${ClusterTrust.PasswordVariable}, empty when unset). Turns on mutual TLS for cluster traffic: seeds become akka.ssl.tcp://." };
        var tlsCa = new Option<string?>("--tls-ca") { Description = "The cluster CA (ca.crt): the only issuer whose hosts may connect; goes with --tls-cert." };

        var discovery = new DiscoveryCommandLine();
        var root = new RootCommand(
            "ActorGrid node: one host of an ActorGrid cluster. With no options it runs an embedded grid " +
            "(all roles, a cluster of one, SQLite under ./data, HTTP on 127.0.0.1:8080). " +
            "The operator token comes from ACTORGRID_ADMIN_TOKEN, or is generated once and kept in <data>/admin-token.")
        {
            data, http, hostname, port, seeds, roles, node, db, config, tlsCert, tlsCa,
            NodeLogging.FormatOption, NodeLogging.VerboseOption,
        };
        foreach (var option in discovery.Options) root.Options.Add(option);
        root.SetAction(async (result, cancel) =>
        {
            NodeOptions options;
            try
            {
                options = NodeOptions.Resolve(
                    result.GetValue(data)!, result.GetValue(http), result.GetValue(hostname)!, result.GetValue(port),
                    result.GetValue(seeds), result.GetValue(roles)!, result.GetValue(node), result.GetValue(db), result.GetValue(config),
                    result.GetValue(tlsCert), result.GetValue(tlsCa), discovery.Resolve(result)) with { Logging = NodeLogging.From(result) };
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FileNotFoundException)
            {
                await Console.Error.WriteLineAsync("actorgrid: " + ex.Message);
                return 2;
            }
            return await GridHost.RunAsync(options, cancel);
        });
        return root;
    }
}
