using System.Data.Common;
using ActorGrid.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActorGrid.Gateway.Data;

// What the gateway's own tables (the audit trail, the task metric series) share: a connection to
// the grid's database, SQLite or PostgreSQL, and positional parameters named @p0, @p1, … so one
// statement text serves both.
internal static class GatewaySql
{
    public static DbConnection Connect(DatabaseTarget database) => database.IsSqlite
        ? new SqliteConnection(database.ConnectionString)
        : new NpgsqlConnection(database.ConnectionString);

    // A transaction that will write: on SQLite BEGIN IMMEDIATE, so it takes the write lock first
    // instead of failing to upgrade a read lock when another writer got there in between.
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancel) =>
        connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancel);

    public static async Task ExecAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancel, params object[] args)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        Bind(command, args);
        await command.ExecuteNonQueryAsync(cancel);
    }

    public static void Bind(DbCommand command, IReadOnlyList<object> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i;
            p.Value = args[i];
            command.Parameters.Add(p);
        }
    }
}
