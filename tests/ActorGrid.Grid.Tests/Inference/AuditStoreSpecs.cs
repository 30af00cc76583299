using ActorGrid.Gateway.Audit;
using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Hosting;
using ActorGrid.Worker.Inference;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using System.Data.Common;

namespace ActorGrid.Grid.Tests.Inference;

// The audit store on the databases the grid runs on: a fresh PostgreSQL database per test (the
// multi-host journal) and a SQLite file (the embedded grid).
public sealed class AuditStoreSpecs : IAsyncLifetime
{
    private readonly TestDirectory _dir = TestDirectory.Create("audit-store");
    private PostgresDatabase _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresDatabase.CreateAsync("auditstore");

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _dir.Dispose();
    }

    private DatabaseTarget Target(string kind) =>
        kind == "postgres" ? DatabaseTarget.Parse(_postgres.Url, _dir.Path) : DatabaseTarget.Sqlite(Path.Combine(_dir.Path, "audit.db"));

    private static AuditRecord Record(string tenant, int i, DateTimeOffset at) =>
        new($"aud-{tenant}-{i}-{Guid.NewGuid():N}", $"req-{i}", tenant, "gauge", 1, new string('a', 64), "edge-1", "edge", "ok", 200,
            0.25, 1.5 + i, 2.5 + i, new string('b', 64), new string('c', 64), at.ToUnixTimeMilliseconds());

    [Fact]
    public async Task Should_build_one_unbroken_chain_when_two_gateways_append_bursts_at_once_on_postgres()
    {
        // Two stores on one database: what two gateway hosts are.
        var (a, b) = (new AuditStore(Target("postgres")), new AuditStore(Target("postgres")));
        var now = DateTimeOffset.UtcNow;

        var appends = Enumerable.Range(0, 20).Select(batch => (batch % 2 == 0 ? a : b)
            .AppendAsync([.. Enumerable.Range(0, 15).Select(i => Record("acme", batch * 100 + i, now))])).ToList();
        appends.Add(a.AppendAsync([Record("globex", 1, now)]));
        var stored = (await Task.WhenAll(appends)).SelectMany(s => s).ToList();

        var acme = await a.ReadAsync(new AuditStore.Query("acme", Limit: 10_000));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), acme.Select(r => r.Seq));
        Assert.Equal(stored.Where(r => r.Tenant == "acme").Select(r => r.AuditId).Order(), acme.Select(r => r.AuditId).Order());
        Assert.Equal((true, (long?)null, (string?)null), AuditChain.Verify(acme));
        var globex = await b.ReadAsync(new AuditStore.Query("globex"));
        Assert.Equal(1, Assert.Single(globex).Seq);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task Should_prune_only_the_expired_prefix_and_keep_the_rest_verifiable_from_the_anchor(string kind)
    {
        var store = new AuditStore(Target(kind));
        var now = DateTimeOffset.UtcNow;
        await store.AppendAsync([.. Enumerable.Range(1, 10).Select(i => Record("acme", i, now.AddDays(-10)))]);
        // A record stamped late by a skewed gateway sits after a newer one: the prefix stops there.
        await store.AppendAsync([Record("acme", 11, now.AddHours(-1)), Record("acme", 12, now.AddDays(-9))]);
        await store.AppendAsync([.. Enumerable.Range(13, 3).Select(i => Record("acme", i, now))]);
        var before = await store.ReadAsync(new AuditStore.Query("acme"));

        var pruned = await store.PruneAsync("acme", now.AddDays(-1).ToUnixTimeMilliseconds());

        Assert.Equal(10, pruned.Records);
        Assert.Equal(new AuditStore.Anchor(10, before[9].Hash), pruned.Anchor);
        Assert.Equal(pruned.Anchor, await store.AnchorAsync("acme"));
        var rest = await store.ReadAsync(new AuditStore.Query("acme"));
        Assert.Equal(Enumerable.Range(11, 5).Select(i => (long)i), rest.Select(r => r.Seq));
        Assert.True(AuditChain.Verify(rest, pruned.Anchor.Seq, pruned.Anchor.Hash).Valid);
        Assert.False(AuditChain.Verify(rest).Valid); // without the anchor the prefix is visibly gone

        // Pruning again with the same cutoff changes nothing; new records link on.
        Assert.Equal(0, (await store.PruneAsync("acme", now.AddDays(-1).ToUnixTimeMilliseconds())).Records);
        var appended = Assert.Single(await store.AppendAsync([Record("acme", 16, now)]));
        Assert.Equal((16L, rest[^1].Hash), (appended.Seq, appended.PrevHash));

        // Everything expired: only the anchor is left, and the chain still continues from it.
        var all = await store.PruneAsync("acme", now.AddDays(1).ToUnixTimeMilliseconds());
        Assert.Equal(new AuditStore.Anchor(16, appended.Hash), all.Anchor);
        Assert.Empty(await store.ReadAsync(new AuditStore.Query("acme")));
        var after = Assert.Single(await store.AppendAsync([Record("acme", 17, now)]));
        Assert.Equal((17L, appended.Hash), (after.Seq, after.PrevHash));
        Assert.True(AuditChain.Verify([after], all.Anchor.Seq, all.Anchor.Hash).Valid);
    }

    [Fact]
    public async Task Should_show_a_record_altered_after_pruning_on_postgres()
    {
        var store = new AuditStore(Target("postgres"));
        var now = DateTimeOffset.UtcNow;
        await store.AppendAsync([.. Enumerable.Range(1, 4).Select(i => Record("acme", i, now.AddDays(-30))), .. Enumerable.Range(5, 4).Select(i => Record("acme", i, now))]);
        var anchor = (await store.PruneAsync("acme", now.AddDays(-1).ToUnixTimeMilliseconds())).Anchor;

        await using (var connection = new NpgsqlConnection(_postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var tamper = new NpgsqlCommand("UPDATE inference_audit SET latency_ms = 1 WHERE tenant = 'acme' AND seq = 6", connection);
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        var (valid, broken, problem) = AuditChain.Verify(await store.ReadAsync(new AuditStore.Query("acme")), anchor.Seq, anchor.Hash);
        Assert.False(valid);
        Assert.Equal(6, broken);
        Assert.Contains("altered", problem);
    }
    private DbConnection Open(string kind)
    {
        DbConnection connection = kind == "postgres"
            ? new NpgsqlConnection(_postgres.ConnectionString)
            : new SqliteConnection(Target("sqlite").ConnectionString);
        connection.Open();
        return connection;
    }

    private static int Exec(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task Should_keep_the_route_in_the_chain_so_that_a_changed_route_or_offload_shows(string kind)
    {
        var store = new AuditStore(Target(kind));
        var now = DateTimeOffset.UtcNow;
        const string route = "offloaded to regional-1 (regional, ~12 ms): edge-1 (edge, 3 ahead) estimated ~120.2 ms";
        await store.AppendAsync([
            Record("acme", 1, now) with { Route = "edge-1 (edge) estimated ~1.2 ms" },
            Record("acme", 2, now) with { Route = route, Offloaded = true },
            Record("acme", 3, now) with { Route = "edge-1 (edge) estimated ~1.3 ms" },
        ]);

        var stored = await store.ReadAsync(new AuditStore.Query("acme"));
        Assert.Equal((route, true), (stored[1].Route, stored[1].Offloaded));
        Assert.Equal(("edge-1 (edge) estimated ~1.2 ms", false), (stored[0].Route, stored[0].Offloaded));
        Assert.True(AuditChain.Verify(stored).Valid);

        using (var connection = Open(kind))
            Assert.Equal(1, Exec(connection, "UPDATE inference_audit SET route = 'edge-1 (edge) estimated ~1 ms' WHERE tenant = 'acme' AND seq = 2"));
        var rerouted = AuditChain.Verify(await store.ReadAsync(new AuditStore.Query("acme")));
        Assert.Equal((false, (long?)2), (rerouted.Valid, rerouted.FirstBrokenSeq));
        Assert.Contains("altered", rerouted.Problem);

        // Put the route back and deny the offload instead: still caught.
        using (var connection = Open(kind))
        {
            Exec(connection, $"UPDATE inference_audit SET route = '{route}' WHERE tenant = 'acme' AND seq = 2");
            Assert.True(AuditChain.Verify(await store.ReadAsync(new AuditStore.Query("acme"))).Valid);
            Exec(connection, $"UPDATE inference_audit SET offloaded = {(kind == "postgres" ? "FALSE" : "0")} WHERE tenant = 'acme' AND seq = 2");
        }
        var denied = AuditChain.Verify(await store.ReadAsync(new AuditStore.Query("acme")));
        Assert.Equal((false, (long?)2), (denied.Valid, denied.FirstBrokenSeq));
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task Should_add_the_route_columns_to_a_trail_written_before_them_and_keep_its_chain_verifiable(string kind)
    {
        var now = DateTimeOffset.UtcNow;
        var real = kind == "postgres" ? "DOUBLE PRECISION" : "REAL";
        // The table as the previous release created it, holding a chain it wrote (no route).
        var old = new List<AuditRecord>();
        var prev = AuditChain.Genesis;
        for (var i = 1; i <= 3; i++)
        {
            var linked = AuditChain.Link(Record("acme", i, now), i, prev);
            old.Add(linked);
            prev = linked.Hash;
        }
        using (var connection = Open(kind))
        {
            Exec(connection, $"""
                CREATE TABLE inference_audit (
                  tenant TEXT NOT NULL, seq BIGINT NOT NULL, audit_id TEXT NOT NULL, request_id TEXT NOT NULL,
                  model TEXT NOT NULL, model_version INTEGER NOT NULL, model_sha256 TEXT NOT NULL, node TEXT NOT NULL,
                  tier TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER NOT NULL, queue_ms {real} NOT NULL,
                  compute_ms {real} NOT NULL, latency_ms {real} NOT NULL, input_sha256 TEXT NOT NULL,
                  output_sha256 TEXT NOT NULL, at_ms BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
                  PRIMARY KEY (tenant, seq));
                CREATE TABLE inference_audit_anchor (
                  tenant TEXT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, pruned_at_ms BIGINT NOT NULL);
                """);
            foreach (var r in old)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO inference_audit VALUES (@p0,@p1,@p2,@p3,@p4,@p5,@p6,@p7,@p8,@p9,@p10,@p11,@p12,@p13,@p14,@p15,@p16,@p17,@p18)";
                object[] values = [r.Tenant, r.Seq, r.AuditId, r.RequestId, r.Model, r.ModelVersion, r.ModelSha256, r.Node, r.Tier, r.Outcome,
                    r.Status, r.QueueMs, r.ComputeMs, r.LatencyMs, r.InputSha256, r.OutputSha256, r.AtUnixMs, r.PrevHash, r.Hash];
                for (var i = 0; i < values.Length; i++)
                {
                    var p = insert.CreateParameter();
                    p.ParameterName = "@p" + i;
                    p.Value = values[i];
                    insert.Parameters.Add(p);
                }
                insert.ExecuteNonQuery();
            }
        }

        var store = new AuditStore(Target(kind));
        var appended = Assert.Single(await store.AppendAsync([Record("acme", 4, now) with { Route = "edge-1 (edge) estimated ~1 ms" }]));

        var all = await store.ReadAsync(new AuditStore.Query("acme"));
        Assert.Equal([1L, 2, 3, 4], all.Select(r => r.Seq));
        Assert.All(all.Take(3), r => Assert.Equal(("", false), (r.Route, r.Offloaded)));
        Assert.Equal(old[2].Hash, appended.PrevHash);
        Assert.Equal("edge-1 (edge) estimated ~1 ms", all[3].Route);
        Assert.Equal((true, (long?)null, (string?)null), AuditChain.Verify(all));
        // A second store (another gateway, or a restart) finds the columns there and changes nothing.
        Assert.Equal(4, (await new AuditStore(Target(kind)).ReadAsync(new AuditStore.Query("acme"))).Count);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task Should_prune_by_the_retention_the_tenant_set_in_preference_to_the_configured_one(string kind)
    {
        var store = new AuditStore(Target(kind));
        var settings = InferenceSettings.From(ConfigurationFactory.ParseString("""
            actorgrid.inference.audit { retention = 365d, tenant-retention { acme = 30d } }
            """));
        var now = DateTimeOffset.UtcNow;
        await store.AppendAsync([Record("acme", 1, now.AddDays(-20)), Record("acme", 2, now.AddDays(-10)), Record("acme", 3, now.AddDays(-1))]);
        await store.AppendAsync([Record("globex", 1, now.AddDays(-20))]);

        Assert.Equal(0, await AuditPruner.PruneOnceAsync(store, settings, now));
        Assert.Null(await store.RetentionDaysAsync("acme"));

        await store.SetRetentionAsync("acme", 40);
        await store.SetRetentionAsync("acme", 5); // set again: replaces
        Assert.Equal(5, await store.RetentionDaysAsync("acme"));
        Assert.Null(await store.RetentionDaysAsync("globex"));

        Assert.Equal(2, await AuditPruner.PruneOnceAsync(store, settings, now));
        var rest = await store.ReadAsync(new AuditStore.Query("acme"));
        Assert.Equal([3L], rest.Select(r => r.Seq));
        var anchor = await store.AnchorAsync("acme");
        Assert.Equal(2, anchor.Seq);
        Assert.True(AuditChain.Verify(rest, anchor.Seq, anchor.Hash).Valid);
        // Another tenant's trail follows its own (configured) retention.
        Assert.Single(await store.ReadAsync(new AuditStore.Query("globex")));
        Assert.Equal(TimeSpan.FromDays(365), AuditPruner.RetentionFor("globex", await store.RetentionDaysAsync(), settings));
    }
}
