namespace ActorGrid.Grid.Tests.Infrastructure;

/// <summary>
/// A per-test scratch directory for node --data dirs and process logs.
/// On dispose it deletes everything except <c>*.log</c> files, so a failed run
/// can still be read afterwards without /tmp filling up with journals.
/// Set ACTORGRID_KEEP_TEST_DIRS=1 to keep everything.
/// </summary>
public sealed class TestDirectory : IDisposable
{
    public string Path { get; }

    private TestDirectory(string path) => Path = path;

    /// <param name="name">usually the test's name; it makes the directory easy to find</param>
    public static TestDirectory Create(string name)
    {
        var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var path = System.IO.Path.Combine(
            System.IO.Path.GetTempPath(), "actorgrid-tests",
            $"{safe}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(path);
        return new TestDirectory(path);
    }

    /// <summary>A sub-directory (created), e.g. <c>Sub("host-a")</c> for a node's --data.</summary>
    public string Sub(string relative)
    {
        var path = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(path);
        return path;
    }

    public override string ToString() => Path;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("ACTORGRID_KEEP_TEST_DIRS") is "1" or "true")
            return;
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
                if (!file.EndsWith(".log", StringComparison.Ordinal))
                    File.Delete(file);
            foreach (var dir in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories)
                         .OrderByDescending(d => d.Length))
                if (!Directory.EnumerateFileSystemEntries(dir).Any())
                    Directory.Delete(dir);
        }
        catch (IOException)
        {
            // A process that outlived its test may still hold a file; leftovers in /tmp are harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
