using System.Data.Common;
using ActorGrid.Hosting;
using ActorGrid.Gateway.Data;

namespace ActorGrid.Gateway.Audit;

// The audit trail in the grid's own database (the journal's SQLite file, or the shared
// PostgreSQL), table inference_audit. Append-only: nothing is ever updated, and the only delete is
// PruneAsync, which the retention job calls (never the API). Appends and prunes take a per-tenant
// lock (PostgreSQL advisory lock; SQLite's single writer) so that several gateways appending for
// one tenant still build one unbroken chain; (tenant, seq) is the key. Pruning removes a prefix of
// a tenant's chain and keeps the last removed record's seq and hash in inference_audit_anchor, so
// what remains still verifies from that anchor and new records keep linking on.
public sealed class AuditStore(DatabaseTarget database)
{
    private const string Columns =
        "tenant, seq, audit_id, request_id, model, model_version, model_sha256, node, tier, outcome, status, queue_ms, compute_ms, latency_ms, input_sha256, output_sha256, at_ms, prev_hash, hash, route, offloaded, trained_by";

    private volatile bool _created;

    private DbConnection Connect() => GatewaySql.Connect(database);

    public async Task EnsureCreatedAsync(CancellationToken cancel = default)
    {
        if (_created) return;
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        var real = database.IsSqlite ? "REAL" : "DOUBLE PRECISION";
        var (boolean, no) = database.IsSqlite ? ("INTEGER", "0") : ("BOOLEAN", "FALSE");
        // PostgreSQL's CREATE ... IF NOT EXISTS races with itself (two gateways starting on a
        // fresh database get a duplicate-key error), so the schema is created under a lock.
        var lockSchema = database.IsSqlite ? "" : "SELECT pg_advisory_xact_lock(hashtext('inference_audit:schema'));";
        command.CommandText = $"""
            {lockSchema}
            CREATE TABLE IF NOT EXISTS inference_audit (
              tenant TEXT NOT NULL, seq BIGINT NOT NULL, audit_id TEXT NOT NULL, request_id TEXT NOT NULL,
              model TEXT NOT NULL, model_version INTEGER NOT NULL, model_sha256 TEXT NOT NULL, node TEXT NOT NULL,
              tier TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER NOT NULL, queue_ms {real} NOT NULL,
              compute_ms {real} NOT NULL, latency_ms {real} NOT NULL, input_sha256 TEXT NOT NULL,
              output_sha256 TEXT NOT NULL, at_ms BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
              route TEXT NOT NULL DEFAULT '', offloaded {boolean} NOT NULL DEFAULT {no}, trained_by TEXT NOT NULL DEFAULT '',
              PRIMARY KEY (tenant, seq));
            CREATE UNIQUE INDEX IF NOT EXISTS inference_audit_id ON inference_audit (audit_id);
            CREATE INDEX IF NOT EXISTS inference_audit_tenant_time ON inference_audit (tenant, at_ms);
            CREATE TABLE IF NOT EXISTS inference_audit_anchor (
              tenant TEXT NOT NULL PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, pruned_at_ms BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS inference_audit_retention (
              tenant TEXT NOT NULL PRIMARY KEY, days INTEGER NOT NULL, set_at_ms BIGINT NOT NULL);
            """;
        await command.ExecuteNonQueryAsync(cancel);
        await MigrateAsync(connection, tx, boolean, no, cancel);
        await tx.CommitAsync(cancel);
        _created = true;
    }

    // Databases created before the route was recorded lack its columns: add them, empty, to the
    // existing rows (whose hashes never covered a route, see AuditChain.HashOf). The catalog is
    // asked first: SQLite has no ADD COLUMN IF NOT EXISTS, and on PostgreSQL even a no-op ALTER
    // TABLE would lock the table against every other gateway. Runs in the schema transaction.
    private async Task MigrateAsync(DbConnection connection, DbTransaction tx, string boolean, string no, CancellationToken cancel)
    {
        (string Name, string Type)[] added = [("route", "TEXT NOT NULL DEFAULT ''"), ("offloaded", $"{boolean} NOT NULL DEFAULT {no}"), ("trained_by", "TEXT NOT NULL DEFAULT ''")];
        foreach (var (name, type) in added)
        {
            await using var exists = connection.CreateCommand();
            exists.Transaction = tx;
            exists.CommandText = database.IsSqlite
                ? "SELECT COUNT(*) FROM pragma_table_info('inference_audit') WHERE name = @p0"
                : "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'inference_audit' AND column_name = @p0";
            GatewaySql.Bind(exists, [name]);
            if (await exists.ExecuteScalarAsync(cancel) is not (long and > 0))
                await GatewaySql.ExecAsync(connection, tx, $"ALTER TABLE inference_audit ADD COLUMN {name} {type}", cancel);
        }
    }

    // Appends a batch in one transaction; returns the records as stored (with seq and hashes).
    public async Task<IReadOnlyList<AuditRecord>> AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await GatewaySql.BeginWriteAsync(connection, cancel);
        var stored = new List<AuditRecord>(records.Count);
        foreach (var group in records.GroupBy(r => r.Tenant))
        {
            await LockAsync(connection, tx, group.Key, cancel);
            var (seq, prev) = await LastAsync(connection, tx, group.Key, cancel);
            foreach (var record in group)
            {
                var linked = AuditChain.Link(record, ++seq, prev);
                prev = linked.Hash;
                await GatewaySql.ExecAsync(connection, tx, $"INSERT INTO inference_audit ({Columns}) VALUES (@p0,@p1,@p2,@p3,@p4,@p5,@p6,@p7,@p8,@p9,@p10,@p11,@p12,@p13,@p14,@p15,@p16,@p17,@p18,@p19,@p20,@p21)", cancel,
                    linked.Tenant, linked.Seq, linked.AuditId, linked.RequestId, linked.Model, linked.ModelVersion, linked.ModelSha256,
                    linked.Node, linked.Tier, linked.Outcome, linked.Status, linked.QueueMs, linked.ComputeMs, linked.LatencyMs,
                    linked.InputSha256, linked.OutputSha256, linked.AtUnixMs, linked.PrevHash, linked.Hash, linked.Route, linked.Offloaded, linked.TrainedBy);
                stored.Add(linked);
            }
        }
        await tx.CommitAsync(cancel);
        return stored;
    }

    public sealed record Query(string Tenant, string? Model = null, long? FromMs = null, long? ToMs = null, long AfterSeq = 0, int Limit = 1000);

    public async Task<IReadOnlyList<AuditRecord>> ReadAsync(Query query, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var command = connection.CreateCommand();
        var where = "tenant = @p0 AND seq > @p1";
        var args = new List<object> { query.Tenant, query.AfterSeq };
        if (query.Model is not null) { where += $" AND model = @p{args.Count}"; args.Add(query.Model); }
        if (query.FromMs is not null) { where += $" AND at_ms >= @p{args.Count}"; args.Add(query.FromMs.Value); }
        if (query.ToMs is not null) { where += $" AND at_ms < @p{args.Count}"; args.Add(query.ToMs.Value); }
        command.CommandText = $"SELECT {Columns} FROM inference_audit WHERE {where} ORDER BY seq LIMIT {Math.Max(1, query.Limit)}";
        GatewaySql.Bind(command, args);
        var result = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel))
        {
            result.Add(new AuditRecord(
                AuditId: reader.GetString(2), RequestId: reader.GetString(3), Tenant: reader.GetString(0), Model: reader.GetString(4),
                ModelVersion: reader.GetInt32(5), ModelSha256: reader.GetString(6), Node: reader.GetString(7), Tier: reader.GetString(8),
                Outcome: reader.GetString(9), Status: reader.GetInt32(10), QueueMs: reader.GetDouble(11), ComputeMs: reader.GetDouble(12),
                LatencyMs: reader.GetDouble(13), InputSha256: reader.GetString(14), OutputSha256: reader.GetString(15),
                AtUnixMs: reader.GetInt64(16), Seq: reader.GetInt64(1), PrevHash: reader.GetString(17), Hash: reader.GetString(18),
                Route: reader.GetString(19), Offloaded: reader.GetBoolean(20), TrainedBy: reader.GetString(21)));
        }
        return result;
    }

    public sealed record Anchor(long Seq, string Hash)
    {
        public static readonly Anchor Genesis = new(0, AuditChain.Genesis);
    }

    public sealed record Pruned(string Tenant, int Records, Anchor Anchor);

    // Where the tenant's stored chain starts: the last pruned record, or genesis.
    public async Task<Anchor> AnchorAsync(string tenant, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        return await AnchorAsync(connection, null, tenant, cancel);
    }

    public async Task<IReadOnlyList<string>> TenantsAsync(CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT tenant FROM inference_audit ORDER BY tenant";
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel)) result.Add(reader.GetString(0));
        return result;
    }

    // Removes the tenant's records older than cutoff, as a prefix of the chain: it stops at the
    // first record at or after the cutoff, so a record a clock-skewed gateway stamped early
    // never leaves a hole. The last removed record becomes the anchor.
    public async Task<Pruned> PruneAsync(string tenant, long cutoffUnixMs, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await GatewaySql.BeginWriteAsync(connection, cancel);
        await LockAsync(connection, tx, tenant, cancel);
        var anchor = await AnchorAsync(connection, tx, tenant, cancel);
        await using var last = connection.CreateCommand();
        last.Transaction = tx;
        // The last record of the prefix older than the cutoff: just before the first one that is not.
        last.CommandText = """
            SELECT seq, hash FROM inference_audit
            WHERE tenant = @p0 AND seq < COALESCE((SELECT MIN(seq) FROM inference_audit WHERE tenant = @p0 AND at_ms >= @p1), 9223372036854775807)
            ORDER BY seq DESC LIMIT 1
            """;
        GatewaySql.Bind(last, [tenant, cutoffUnixMs]);
        Anchor? through = null;
        await using (var reader = await last.ExecuteReaderAsync(cancel))
            if (await reader.ReadAsync(cancel)) through = new Anchor(reader.GetInt64(0), reader.GetString(1));
        if (through is null || through.Seq <= anchor.Seq)
        {
            await tx.CommitAsync(cancel);
            return new Pruned(tenant, 0, anchor);
        }
        await using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM inference_audit WHERE tenant = @p0 AND seq <= @p1";
        GatewaySql.Bind(delete, [tenant, through.Seq]);
        var removed = await delete.ExecuteNonQueryAsync(cancel);
        await GatewaySql.ExecAsync(connection, tx, """
            INSERT INTO inference_audit_anchor (tenant, seq, hash, pruned_at_ms) VALUES (@p0, @p1, @p2, @p3)
            ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at_ms = excluded.pruned_at_ms
            """, cancel, tenant, through.Seq, through.Hash, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await tx.CommitAsync(cancel);
        return new Pruned(tenant, removed, through);
    }

    // A tenant's own retention, in days, set through the API (inference_audit_retention); it
    // wins over actorgrid.inference.audit.tenant-retention and the default in HOCON.
    public async Task SetRetentionAsync(string tenant, int days, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await GatewaySql.ExecAsync(connection, tx, """
            INSERT INTO inference_audit_retention (tenant, days, set_at_ms) VALUES (@p0, @p1, @p2)
            ON CONFLICT (tenant) DO UPDATE SET days = excluded.days, set_at_ms = excluded.set_at_ms
            """, cancel, tenant, days, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await tx.CommitAsync(cancel);
    }

    // Null when the tenant never set one.
    public async Task<int?> RetentionDaysAsync(string tenant, CancellationToken cancel = default) =>
        (await RetentionDaysAsync(tenant, all: false, cancel)).TryGetValue(tenant, out var days) ? days : null;

    // Every tenant's own retention: what one run of the retention job reads.
    public Task<Dictionary<string, int>> RetentionDaysAsync(CancellationToken cancel = default) => RetentionDaysAsync("", all: true, cancel);

    private async Task<Dictionary<string, int>> RetentionDaysAsync(string tenant, bool all, CancellationToken cancel)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT tenant, days FROM inference_audit_retention" + (all ? "" : " WHERE tenant = @p0");
        if (!all) GatewaySql.Bind(command, [tenant]);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel)) result[reader.GetString(0)] = reader.GetInt32(1);
        return result;
    }

    private async Task LockAsync(DbConnection connection, DbTransaction tx, string tenant, CancellationToken cancel)
    {
        if (!database.IsSqlite)
            await GatewaySql.ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('inference_audit:' || @p0))", cancel, tenant);
    }

    private static async Task<Anchor> AnchorAsync(DbConnection connection, DbTransaction? tx, string tenant, CancellationToken cancel)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT seq, hash FROM inference_audit_anchor WHERE tenant = @p0";
        GatewaySql.Bind(command, [tenant]);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        return await reader.ReadAsync(cancel) ? new Anchor(reader.GetInt64(0), reader.GetString(1)) : Anchor.Genesis;
    }

    // The chain's tip: the newest record, or the anchor when everything was pruned.
    private static async Task<(long Seq, string Hash)> LastAsync(DbConnection connection, DbTransaction tx, string tenant, CancellationToken cancel)
    {
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = "SELECT seq, hash FROM inference_audit WHERE tenant = @p0 ORDER BY seq DESC LIMIT 1";
            GatewaySql.Bind(command, [tenant]);
            await using var reader = await command.ExecuteReaderAsync(cancel);
            if (await reader.ReadAsync(cancel)) return (reader.GetInt64(0), reader.GetString(1));
        }
        var anchor = await AnchorAsync(connection, tx, tenant, cancel);
        return (anchor.Seq, anchor.Hash);
    }
}
