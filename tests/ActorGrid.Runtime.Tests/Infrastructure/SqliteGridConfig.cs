using ActorGrid.Hosting;
using Akka.Configuration;

namespace ActorGrid.Runtime.Tests.Infrastructure;

// A real actor-system configuration for entity tests: the shipped base HOCON, a cluster provider
// on a free loopback port, and the journal in a fresh SQLite file that the test deletes after.
public sealed class SqliteGridConfig : IDisposable
{
    public SqliteGridConfig(string extraHocon = "")
    {
        Directory = Path.Combine(Path.GetTempPath(), "actorgrid-tests", Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(Directory);
        Database = DatabaseTarget.Sqlite(Path.Combine(Directory, "journal.db"));
        Database.Prepare();
        var baseHocon = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "actorgrid.hocon"));
        Config = ConfigurationFactory.ParseString(extraHocon)
            .WithFallback(ConfigurationFactory.ParseString(Database.ToHocon()))
            .WithFallback(ConfigurationFactory.ParseString("""
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.loglevel = WARNING
                """))
            .WithFallback(ConfigurationFactory.ParseString(baseHocon));
    }

    public string Directory { get; }

    public DatabaseTarget Database { get; }

    public Config Config { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a stopping journal; the OS temp cleaner will take it.
        }
    }
}
