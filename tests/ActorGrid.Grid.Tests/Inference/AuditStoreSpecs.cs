using ActorGrid.Grid.Tests.Infrastructure;
using ActorGrid.Runtime.Audit;
using ActorGrid.Runtime.Hosting;
using Npgsql;

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
}
