using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ActorGrid.Grid.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ActorGrid.Grid.Tests.Resilience;

// At most one live copy of an attempt. Three real hosts on PostgreSQL (core+gateway, two
// workers); a task writes a line every 0.1 s (attempt, node, time) into a witness directory that
// the workers' sandboxes may write. What the test reads from that file is what really ran, not what
// the task's history claims: overlap is measured, not inferred.
[Trait("Category", "Resilience")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AttemptFencingSpecs(ITestOutputHelper output)
{
    private const string Token = "fencing-token";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private const int SigKill = 9, SigStop = 19, SigCont = 18;

    [Fact]
    public async Task Should_run_a_killed_workers_attempt_elsewhere_within_seconds_and_never_twice_at_once()
    {
        await using var grid = await FencingGrid.StartAsync("fence-kill", output);
        var (id, victim, _) = await grid.StartWitnessedTaskAsync();
        var killedAt = Now();
        victim.SignalNodeOnly(SigKill);

        var done = await grid.Api.WaitForStateAsync(grid.Key, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        var lines = grid.Witness(id);
        var first = lines.Where(l => l.Attempt == 1).ToList();
        var second = lines.Where(l => l.Attempt == 2).ToList();
        Assert.NotEmpty(second);
        var lastOfFirst = first.Max(l => l.At);
        var running = second.Min(l => l.At) - killedAt;
        var overlap = Math.Max(0, lastOfFirst - second.Min(l => l.At));
        output.WriteLine($"kill -9 of the worker: attempt 1 wrote its last line {lastOfFirst - killedAt:0.00}s after the kill; " +
                         $"attempt 2 running on {second[0].Node} {running:0.00}s after the kill; overlap {overlap:0.00}s");
        Assert.Equal(0, overlap);
        Assert.True(lastOfFirst - killedAt < 2, $"attempt 1 kept running {lastOfFirst - killedAt:0.00}s after its worker died");
        Assert.NotEqual(first[0].Node, second[0].Node);
        Assert.Equal("node-lost", done["attempts"]![0]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Should_stop_a_paused_workers_attempt_before_it_runs_elsewhere()
    {
        await using var grid = await FencingGrid.StartAsync("fence-stop", output);
        var (id, victim, _) = await grid.StartWitnessedTaskAsync();
        var pausedAt = Now();
        victim.SignalNodeOnly(SigStop);
        var second = await grid.WaitForAttemptLinesAsync(id, 2, Long);
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 25 - (Now() - pausedAt))));
        victim.SignalNodeOnly(SigCont);
        var resumedAt = Now();

        var done = await grid.Api.WaitForStateAsync(grid.Key, id, Tasks.IsTerminal, Long);
        Assert.True(Tasks.State(done) == "succeeded", done.ToJsonString());
        await Task.Delay(3000); // anything the resumed worker still ran would write now
        var lines = grid.Witness(id);
        var first = lines.Where(l => l.Attempt == 1).ToList();
        var lastOfFirst = first.Max(l => l.At);
        var firstOfSecond = lines.Where(l => l.Attempt == 2).Min(l => l.At);
        var overlap = Math.Max(0, lastOfFirst - firstOfSecond);
        output.WriteLine($"SIGSTOP of the worker for {resumedAt - pausedAt:0.0}s: attempt 1 stopped {lastOfFirst - pausedAt:0.00}s after the pause " +
                         $"(its guard), attempt 2 running {firstOfSecond - pausedAt:0.00}s after it on {second}; overlap {overlap:0.00}s; " +
                         $"lines from attempt 1 after SIGCONT: {first.Count(l => l.At > resumedAt)}");
        Assert.Equal(0, overlap);
        Assert.Equal(0, first.Count(l => l.At > resumedAt));
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    internal sealed record WitnessLine(int Attempt, string Node, double At);

    private sealed class FencingGrid : IAsyncDisposable
    {
        private readonly PostgresDatabase _db;
        private readonly TestDirectory _dir;
        private readonly GridProcess[] _hosts;
        private readonly string _witness;

        private FencingGrid(PostgresDatabase db, TestDirectory dir, GridProcess[] hosts, string witness, ApiClient api, string key)
        {
            (_db, _dir, _hosts, _witness, Api, Key) = (db, dir, hosts, witness, api, key);
        }

        public ApiClient Api { get; }

        public string Key { get; }

        public static async Task<FencingGrid> StartAsync(string name, ITestOutputHelper output)
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
            var core = GridProcess.Start("core", [.. Common("core", ports[0]), "--roles", "core,gateway", "--http", $"127.0.0.1:{ports[3]}"], Token, dir.Path);
            var edge = GridProcess.Start("edge", [.. Common("edge", ports[1]), "--roles", "worker", "--config", config, "--node", Path.Combine(nodes, "edge-gateway.hocon")], Token, dir.Path);
            var regional = GridProcess.Start("regional", [.. Common("regional", ports[2]), "--roles", "worker", "--config", config, "--node", Path.Combine(nodes, "regional-cloud.hocon")], Token, dir.Path);
            await core.WaitUntilReadyAsync(Long);
            var api = new ApiClient(core.HttpBase);
            await WaitForReadyNodesAsync(api, 2);
            output.WriteLine($"3 hosts formed in {clock.Elapsed.TotalSeconds:0.0}s");
            var key = await api.CreateTenantAsync(Token, "acme", ["CN-ZJ"]);
            return new FencingGrid(db, dir, [core, edge, regional], witness, api, key);
        }

        // A task that writes a witness line every 0.1 s for 12 s; returns once its first attempt writes.
        public async Task<(string Id, GridProcess Host, string Node)> StartWitnessedTaskAsync()
        {
            var body = Tasks.Shell($"""
                end=$(( $(date +%s) + 12 ))
                while [ "$(date +%s)" -lt "$end" ]; do
                  echo "$ACTORGRID_ATTEMPT $ACTORGRID_NODE_ID $(date +%s.%N)" >> "{_witness}/$ACTORGRID_TASK_ID"
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
                if (Witness(id).FirstOrDefault(l => l.Attempt == attempt) is { } line) return line.Node;
                await Task.Delay(100);
            }
            throw new TimeoutException($"attempt {attempt} of {id} never wrote a witness line\n{_hosts[0].Tail(60)}");
        }

        public IReadOnlyList<WitnessLine> Witness(string id)
        {
            var path = Path.Combine(_witness, id);
            if (!File.Exists(path)) return [];
            return [.. File.ReadAllLines(path)
                .Select(l => l.Split(' '))
                .Where(p => p.Length == 3 && int.TryParse(p[0], out _) && double.TryParse(p[2], CultureInfo.InvariantCulture, out _))
                .Select(p => new WitnessLine(int.Parse(p[0], CultureInfo.InvariantCulture), p[1], double.Parse(p[2], CultureInfo.InvariantCulture)))];
        }

        private static async Task WaitForReadyNodesAsync(ApiClient api, int count)
        {
            var deadline = DateTime.UtcNow + Long;
            while (true)
            {
                var nodes = (await api.SendJsonAsync(HttpMethod.Get, "/v1/nodes", Token, null)).Body;
                if (nodes is JsonArray list && list.Count(n => n!["state"]!.GetValue<string>() == "ready") >= count) return;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {count} ready nodes, saw {nodes?.ToJsonString()}");
                await Task.Delay(500);
            }
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
}
