using System.Data.Common;
using ActorGrid.Hosting;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Gateway.Data;

namespace ActorGrid.Gateway.TaskMetrics;

// One stored point of a task's metric series: the value `Name` had on the attempt's metric line
// `Seq`, printed at `AtUnixMs`.
public sealed record TaskMetricPoint(int Attempt, long Seq, string Name, long AtUnixMs, double Value);

// How many points a task keeps, and why it keeps no more (null while under every bound).
public sealed record TaskMetricTotals(long Points, string? Truncated);

// Tasks' metric series at full resolution in the grid's own database (the journal's SQLite file,
// or the shared PostgreSQL), table task_metrics, one row per (task, attempt, line, name). Rows are
// only ever inserted (ON CONFLICT DO NOTHING: gateways sharing a PostgreSQL database all append the
// same batches, and a retried batch lands once) and removed by PruneAsync. task_metric_totals keeps
// each task's count, so the bound (max points per task) costs one row read, and the note saying
// where a series was cut. Appends take a per-task lock on PostgreSQL, so two gateways count right.
public sealed class TaskMetricStore(DatabaseTarget database)
{
    // Rows per INSERT statement: 6 parameters each, well under SQLite's and PostgreSQL's limits.
    private const int RowsPerStatement = 200;

    private volatile bool _created;

    private DbConnection Connect() => GatewaySql.Connect(database);

    public async Task EnsureCreatedAsync(CancellationToken cancel = default)
    {
        if (_created) return;
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        var real = database.IsSqlite ? "REAL" : "DOUBLE PRECISION";
        // As for the audit trail: PostgreSQL's CREATE ... IF NOT EXISTS races with itself.
        var lockSchema = database.IsSqlite ? "" : "SELECT pg_advisory_xact_lock(hashtext('task_metrics:schema'));";
        await GatewaySql.ExecAsync(connection, tx, $"""
            {lockSchema}
            CREATE TABLE IF NOT EXISTS task_metrics (
              task_id TEXT NOT NULL, attempt INTEGER NOT NULL, seq BIGINT NOT NULL, name TEXT NOT NULL,
              at_ms BIGINT NOT NULL, value {real} NOT NULL,
              PRIMARY KEY (task_id, attempt, seq, name));
            CREATE INDEX IF NOT EXISTS task_metrics_time ON task_metrics (at_ms);
            CREATE TABLE IF NOT EXISTS task_metric_totals (
              task_id TEXT NOT NULL PRIMARY KEY, points BIGINT NOT NULL, truncated TEXT NULL, updated_at_ms BIGINT NOT NULL);
            """, cancel);
        await tx.CommitAsync(cancel);
        _created = true;
    }

    // Appends the batches in one transaction, each task's points up to maxPointsPerTask; returns
    // how many points were stored (duplicates and points over the bound are not) and for which tasks.
    public async Task<(int Stored, IReadOnlySet<string> Tasks)> AppendAsync(
        IReadOnlyList<TaskMetricsSampled> batches, long maxPointsPerTask, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await GatewaySql.BeginWriteAsync(connection, cancel);
        var stored = 0;
        var tasks = new HashSet<string>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var group in batches.GroupBy(b => b.TaskId.Value))
        {
            var task = group.Key;
            if (!database.IsSqlite)
                await GatewaySql.ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('task_metrics:' || @p0))", cancel, task);
            var totals = await TotalsAsync(connection, tx, task, cancel);
            var points = group
                .SelectMany(b => b.Lines.SelectMany(l => l.Values.Select(v => new TaskMetricPoint(b.Attempt, l.Seq, v.Key, l.At.ToUnixTimeMilliseconds(), v.Value))))
                .ToList();
            var room = (int)Math.Clamp(maxPointsPerTask - totals.Points, 0, int.MaxValue);
            var inserted = 0;
            foreach (var chunk in points.Take(room).Chunk(RowsPerStatement))
                inserted += await InsertAsync(connection, tx, task, chunk, cancel);
            var truncated = totals.Truncated
                ?? (points.Count > room
                    ? $"only the first {maxPointsPerTask} points of this task are kept (actorgrid.gateway.task-metrics.max-points-per-task); later ones were not stored"
                    : group.Select(b => b.Truncated).FirstOrDefault(t => t is not null));
            await GatewaySql.ExecAsync(connection, tx, """
                INSERT INTO task_metric_totals (task_id, points, truncated, updated_at_ms) VALUES (@p0, @p1, @p2, @p3)
                ON CONFLICT (task_id) DO UPDATE SET points = excluded.points, truncated = excluded.truncated, updated_at_ms = excluded.updated_at_ms
                """, cancel, task, totals.Points + inserted, (object?)truncated ?? DBNull.Value, now);
            stored += inserted;
            if (inserted > 0) tasks.Add(task);
        }
        await tx.CommitAsync(cancel);
        return (stored, tasks);
    }

    // After: the last line already read, as (attempt, seq), for readers that follow a series.
    public sealed record Query(
        string TaskId, long? SinceUnixMs = null, IReadOnlyCollection<string>? Names = null, int AfterAttempt = 0, long AfterSeq = 0, int Limit = 10_000);

    // The task's points in print order: attempt, then line, then name.
    public async Task<IReadOnlyList<TaskMetricPoint>> ReadAsync(Query query, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var command = connection.CreateCommand();
        var where = "task_id = @p0 AND (attempt > @p1 OR (attempt = @p1 AND seq > @p2))";
        var args = new List<object> { query.TaskId, query.AfterAttempt, query.AfterSeq };
        if (query.SinceUnixMs is { } since)
        {
            where += $" AND at_ms >= @p{args.Count}";
            args.Add(since);
        }
        if (query.Names is { Count: > 0 } names)
        {
            where += $" AND name IN ({string.Join(',', names.Select((_, i) => $"@p{args.Count + i}"))})";
            args.AddRange(names);
        }
        command.CommandText = $"SELECT attempt, seq, name, at_ms, value FROM task_metrics WHERE {where} ORDER BY attempt, seq, name LIMIT {Math.Max(1, query.Limit)}";
        GatewaySql.Bind(command, args);
        var result = new List<TaskMetricPoint>();
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel))
            result.Add(new TaskMetricPoint(reader.GetInt32(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetDouble(4)));
        return result;
    }

    public async Task<TaskMetricTotals> TotalsAsync(string taskId, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        return await TotalsAsync(connection, null, taskId, cancel);
    }

    // Removes the points printed before the cutoff, and the totals of tasks not written since;
    // returns how many points went. The retention job's only call.
    public async Task<int> PruneAsync(long cutoffUnixMs, CancellationToken cancel = default)
    {
        await EnsureCreatedAsync(cancel);
        await using var connection = Connect();
        await connection.OpenAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM task_metrics WHERE at_ms < @p0";
        GatewaySql.Bind(delete, [cutoffUnixMs]);
        var removed = await delete.ExecuteNonQueryAsync(cancel);
        await GatewaySql.ExecAsync(connection, tx, "DELETE FROM task_metric_totals WHERE updated_at_ms < @p0", cancel, cutoffUnixMs);
        await tx.CommitAsync(cancel);
        return removed;
    }

    private static async Task<TaskMetricTotals> TotalsAsync(DbConnection connection, DbTransaction? tx, string task, CancellationToken cancel)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT points, truncated FROM task_metric_totals WHERE task_id = @p0";
        GatewaySql.Bind(command, [task]);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        return await reader.ReadAsync(cancel)
            ? new TaskMetricTotals(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : new TaskMetricTotals(0, null);
    }

    private static async Task<int> InsertAsync(DbConnection connection, DbTransaction tx, string task, TaskMetricPoint[] rows, CancellationToken cancel)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        var args = new List<object>(rows.Length * 6);
        var values = new List<string>(rows.Length);
        foreach (var row in rows)
        {
            var at = args.Count;
            values.Add($"(@p{at},@p{at + 1},@p{at + 2},@p{at + 3},@p{at + 4},@p{at + 5})");
            args.AddRange([task, row.Attempt, row.Seq, row.Name, row.AtUnixMs, row.Value]);
        }
        command.CommandText = $"INSERT INTO task_metrics (task_id, attempt, seq, name, at_ms, value) VALUES {string.Join(',', values)} ON CONFLICT DO NOTHING";
        GatewaySql.Bind(command, args);
        return await command.ExecuteNonQueryAsync(cancel);
    }
}
