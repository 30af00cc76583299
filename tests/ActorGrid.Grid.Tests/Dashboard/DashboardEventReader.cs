using System.Text;

namespace ActorGrid.Grid.Tests.Dashboard;

// Reads the dashboard's Server-Sent Events one at a time from an open response.
public sealed class DashboardEventReader(HttpResponseMessage response) : IDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private StreamReader? _reader;

    // The next event that matches; a stream that ends or stays quiet too long fails the test.
    public async Task<(string Name, string Data)> NextAsync(Func<string, string, bool>? matches = null)
    {
        _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        using var cts = new CancellationTokenSource(ReadTimeout);
        string? name = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null && (matches is null || matches(name, data.ToString()))) return (name, data.ToString());
                name = null;
                data.Clear();
                continue;
            }
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line[6..]);
        }
        throw new InvalidOperationException("The dashboard stream ended before the expected event.");
    }

    public void Dispose()
    {
        _reader?.Dispose();
        response.Dispose();
    }
}
