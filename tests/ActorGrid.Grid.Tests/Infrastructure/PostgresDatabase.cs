using Npgsql;

namespace ActorGrid.Grid.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database for one test. Multi-host grids must share a
/// journal, and a database per test keeps parallel tests and reruns from
/// seeing each other's events.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string EnvironmentVariable = "ACTORGRID_TEST_POSTGRES";
    public const string DefaultServerUrl = "postgresql://postgres:postgres@127.0.0.1:5432/actorgrid_test";

    private readonly NpgsqlConnectionStringBuilder _admin;

    /// <summary>The database's name (unique per test).</summary>
    public string Name { get; }
    /// <summary><c>postgresql://user:pass@host:port/name</c>: what a node takes as <c>--db</c>.</summary>
    public string Url { get; }
    /// <summary>Npgsql connection string for the same database, to inspect the journal directly.</summary>
    public string ConnectionString { get; }

    private PostgresDatabase(NpgsqlConnectionStringBuilder admin, string name, string url, string connectionString)
    {
        _admin = admin;
        Name = name;
        Url = url;
        ConnectionString = connectionString;
    }

    /// <summary>The server URL the tests use: ACTORGRID_TEST_POSTGRES, else the .ci/run default.</summary>
    public static string ServerUrl =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } url ? url : DefaultServerUrl;

    /// <param name="label">ends up in the database name, to tell leftovers apart</param>
    public static async Task<PostgresDatabase> CreateAsync(string label = "t", CancellationToken cancellationToken = default)
    {
        var server = new Uri(ServerUrl);
        if (server.Scheme is not ("postgresql" or "postgres"))
            throw new InvalidOperationException($"{EnvironmentVariable} must be a postgresql:// URL, got '{ServerUrl}'.");

        var admin = ToConnectionString(server, server.AbsolutePath.Trim('/') is { Length: > 0 } db ? db : "postgres");
        var cleanLabel = new string(label.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z' or >= '0' and <= '9').Take(24).ToArray());
        var name = $"agt_{cleanLabel}_{Guid.NewGuid():N}"; // at most 61 chars: under PostgreSQL's 63

        await using (var connection = await OpenAdminAsync(admin, cancellationToken))
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await create.ExecuteNonQueryAsync(cancellationToken);

        var builder = new UriBuilder(server) { Path = "/" + name };
        return new PostgresDatabase(admin, name, builder.Uri.AbsoluteUri, ToConnectionString(server, name).ConnectionString);
    }

    /// <summary>Drops the database, first ending the sessions nodes may have left behind.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var connection = await OpenAdminAsync(_admin, CancellationToken.None);
            await using (var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()",
                connection))
            {
                terminate.Parameters.AddWithValue("name", Name);
                await terminate.ExecuteNonQueryAsync();
            }
            // FORCE (PostgreSQL 13+) covers a node that reconnects between the two statements.
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Cleanup must not mask the test's own outcome; an orphaned agt_* database is harmless.
        }
        // Pooled connections a test opened via ConnectionString point at a dropped database now.
        await using var pooled = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(pooled);
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync(NpgsqlConnectionStringBuilder admin, CancellationToken ct)
    {
        try
        {
            try
            {
                return await OpenAsync(admin.ConnectionString, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName && admin.Database != "postgres")
            {
                // The URL's database (actorgrid_test) is only a place to connect from; the maintenance DB does as well.
                var fallback = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = "postgres" };
                return await OpenAsync(fallback.ConnectionString, ct);
            }
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"Cannot connect to PostgreSQL at {admin.Host}:{admin.Port} as '{admin.Username}' " +
                $"({EnvironmentVariable}={ServerUrl}): {e.Message}. The multi-host tests need a server: run .ci/run " +
                "(as root on Debian it installs PostgreSQL with apt, starts it on 127.0.0.1:5432 and sets the postgres " +
                $"password to 'postgres'), or point {EnvironmentVariable} at a server where you may create databases.", e);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static NpgsqlConnectionStringBuilder ToConnectionString(Uri url, string database)
    {
        var userInfo = url.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.Port > 0 ? url.Port : 5432,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            Database = database,
            // Npgsql's own default: a loaded 2-core box running three test assemblies at once
            // took more than 5 s to hand a local connection over; a missing server still fails in 15 s.
            Timeout = 15,
            // Admin connections must not linger in a pool, or DROP DATABASE finds them.
            Pooling = false,
        };
    }
}
