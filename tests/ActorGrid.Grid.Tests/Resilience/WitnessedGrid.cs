using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

public sealed record WitnessLine(int Attempt, string Node, double At);

// Three real hosts on one PostgreSQL journal — core+gateway and two workers (an edge gateway and a
// regional cloud, zone CN-ZJ) — whose sandboxes may write one witness directory. A witnessed task
// appends "attempt node time" every 0.1 s to a file named after it and its attempt there, so a test reads what
// really ran, and when, instead of trusting the task's history.
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WitnessedGrid : IAsyncDisposable
{
    private readonly PostgresDatabase _db;
    private readonly TestDirectory _dir;
    private const string Token = "witnessed-grid-token";
    public const string OperatorToken = Token;
    private const int SigCont = 18;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private readonly GridProcess[] _hosts;
    private readonly string[][] _args;
    private readonly string _witness;

    private WitnessedGrid(PostgresDatabase db, TestDirectory dir, GridProcess[] hosts, string[][] args, string witness, ApiClient api, string key)
    {
        (_db, _dir, _hosts, _args, _witness, Api, Key) = (db, dir, hosts, args, witness, api, key);
    }

    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    public ApiClient Api { get; private set; }

    public IReadOnlyList<GridProcess> Hosts => _hosts;

    public string Key { get; }

    public static async Task<WitnessedGrid> StartAsync(string name, ITestOutputHelper output)
    {
        var db = await PostgresDatabase.CreateAsync(name.Replace('-', '_'));
        var dir = TestDirectory.Create(name);
        // Attempts run as uids of their own: the witness directory must be theirs to write.
        var witness = dir.Sub("witness");
        File.SetUnixFileMode(witness, (UnixFileMode)0x1FF);
        var config = Path.Combine(dir.Path, "workers.conf");
        File.WriteAllText(config, $"actorgrid.workers.isolation.writable-paths = [\"{witness}\"]");
        var ports = FreePorts.Next(4);
        var seed = $"akka.tcp://actorgrid@127.0.0.1:{ports[0]}";
        string[] Common(string host, int port) =>
            ["--hostname", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--seeds", seed, "--db", db.Url, "--data", dir.Sub(host)];
        var nodes = Path.Combine(AppContext.BaseDirectory, "hocon", "nodes");
        var clock = Stopwatch.StartNew();
        string[][] args =
        [
            [.. Common("core", ports[0]), "--roles", "core,gateway", "--http", $"127.0.0.1:{ports[3]}"],
            [.. Common("edge", ports[1]), "--roles", "worker", "--config", config, "--node", Path.Combine(nodes, "edge-gateway.hocon")],
            [.. Common("regional", ports[2]), "--roles", "worker", "--config", config, "--node", Path.Combine(nodes, "regional-cloud.hocon")],
        ];
        var hosts = new GridProcess[3];
        for (var i = 0; i < 3; i++) hosts[i] = GridProcess.Start(Names[i], args[i], Token, dir.Path);
        await hosts[0].WaitUntilReadyAsync(Long);
        var api = new ApiClient(hosts[0].HttpBase);
        await api.WaitForReadyNodesAsync(Token, 2, Long);
        output.WriteLine($"3 hosts formed in {clock.Elapsed.TotalSeconds:0.0}s");
        var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
        return new WitnessedGrid(db, dir, hosts, args, witness, api, key);
    }

    private static readonly string[] Names = ["core", "edge", "regional"];

    // Starts every host again, on the same ports, data and journal, after they were killed;
    // returns once the gateway answers and both workers' nodes are ready.
    public async Task RestartAllAsync(int generation)
    {
        Api.Dispose();
        for (var i = 0; i < 3; i++)
        {
            await _hosts[i].DisposeAsync();
            _hosts[i] = GridProcess.Start($"{Names[i]}-{generation}", _args[i], Token, _dir.Path);
        }
        await _hosts[0].WaitUntilReadyAsync(Long);
        Api = new ApiClient(_hosts[0].HttpBase);
        await Api.WaitForReadyNodesAsync(Token, 2, Long);
    }

    // A task that writes a witness line every 0.1 s for `seconds`; returns once its first attempt writes.
    public async Task<(string Id, GridProcess Host, string Node)> StartWitnessedTaskAsync(int seconds = 12)
    {
        var body = Tasks.Shell($"""
            end=$(( $(date +%s) + {seconds} ))
            while [ "$(date +%s)" -lt "$end" ]; do
              echo "$ACTORGRID_ATTEMPT $ACTORGRID_NODE_ID $(date +%s.%N)" >> "{_witness}/$ACTORGRID_TASK_ID-$ACTORGRID_ATTEMPT"
              sleep 0.1
            done
            """, maxAttempts: 3);
        var (_, accepted) = await Api.SubmitTaskAsync(Key, body);
        var id = Tasks.Id(accepted);
        await WaitForAttemptLinesAsync(id, 1, Long);
        var node = Witness(id)[0].Node;
        return (id, node.StartsWith("edge", StringComparison.Ordinal) ? _hosts[1] : _hosts[2], node);
    }

    public async Task<string> WaitForAttemptLinesAsync(string id, int attempt, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            // This attempt or a later one: an attempt number can be spent without running (a start
            // refused by a host that restarted after its award, or lost with its node at once).
            if (Witness(id).FirstOrDefault(l => l.Attempt >= attempt) is { } line) return line.Node;
            await Task.Delay(100);
        }
        throw new TimeoutException($"attempt {attempt} of {id} never wrote a witness line; the task: {(await Api.GetTaskAsync(Key, id)).ToJsonString()}\n{_hosts[0].Tail(60)}");
    }

    public IReadOnlyList<WitnessLine> Witness(string id)
    {
        // One file per attempt: attempts run as different uids and cannot write each other's files.
        return [.. Directory.EnumerateFiles(_witness, id + "-*").SelectMany(File.ReadAllLines)
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 3 && int.TryParse(p[0], out _) && double.TryParse(p[2], CultureInfo.InvariantCulture, out _))
            .Select(p => new WitnessLine(int.Parse(p[0], CultureInfo.InvariantCulture), p[1], double.Parse(p[2], CultureInfo.InvariantCulture)))];
    }


    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        foreach (var host in _hosts)
        {
            try { host.SignalNodeOnly(SigCont); } catch (InvalidOperationException) { }
            await host.DisposeAsync();
        }
        await _db.DisposeAsync();
        _dir.Dispose();
    }
}
