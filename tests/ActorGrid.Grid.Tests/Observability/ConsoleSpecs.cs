using System.Text.Json;
using ActorGrid.Grid.Tests.Infrastructure;

namespace ActorGrid.Grid.Tests.Observability;

// What the real binary prints when an embedded grid starts: the operator's lines first, no
// warnings on a healthy start, Akka's chatter only with --verbose, and JSON lines on request.
public class ConsoleSpecs
{
    private const string Token = "agadm_console0123456789abcdef";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    // What the host says about this machine's setup rather than about the start: a CI runner
    // without bubblewrap warns that its attempts are not sandboxed, and that is not this spec's.
    private static readonly string[] MachineSetup = ["SANDBOX OFF", "refuses tenant tasks"];

    [Fact]
    public async Task Should_start_with_the_operators_lines_and_no_warnings_and_keep_Akkas_chatter_for_verbose()
    {
        using var dir = TestDirectory.Create("console");
        await using var quiet = await StartAsync(dir, "quiet");
        await using var verbose = await StartAsync(dir, "verbose", "--verbose");
        await Task.Delay(TimeSpan.FromSeconds(3)); // what a start logs just after it is ready counts too

        var lines = quiet.Logs.Where(l => l.Length > 0).ToList();
        var expected = new[] { "ActorGrid host up: roles core,gateway,worker, cluster address akka.tcp://actorgrid@127.0.0.1:", "journal sqlite:", "Worker node ", "HTTP on http://", "Operator token: agadm_consol… from $ACTORGRID_ADMIN_TOKEN" };
        var first = lines.Take(expected.Length).ToList();
        Assert.True(expected.Zip(first).All(p => p.Item2.Contains(p.Item1, StringComparison.Ordinal)), "the start should print the operator's lines first:\n" + string.Join("\n", lines));
        Assert.DoesNotContain(lines, l => l.Contains(Token, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => (l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal))
            && !MachineSetup.Any(m => l.Contains(m, StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("Akka.", StringComparison.Ordinal) || l.Contains("Microsoft.Hosting", StringComparison.Ordinal));

        Assert.Contains(verbose.Logs, l => l.Contains("Akka.Actor.ActorSystem", StringComparison.Ordinal) && l.Contains("is JOINING itself", StringComparison.Ordinal));
        Assert.DoesNotContain(verbose.Logs, l => l.Contains("failed to find an associated singleton", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_write_one_JSON_object_a_line_with_log_format_json()
    {
        using var dir = TestDirectory.Create("console-json");
        await using var host = await StartAsync(dir, "json", "--log-format", "json");

        var lines = host.Logs.Where(l => l.Length > 0).ToList();
        var records = lines.Select(l => JsonDocument.Parse(l.StartsWith("[err] ", StringComparison.Ordinal) ? l[6..] : l).RootElement).ToList();
        Assert.All(records, r => Assert.True(r.TryGetProperty("LogLevel", out _) && r.TryGetProperty("Category", out _) && r.TryGetProperty("Timestamp", out _), r.ToString()));
        var up = Assert.Single(records, r => r.GetProperty("Message").GetString()!.StartsWith("ActorGrid host up", StringComparison.Ordinal));
        Assert.Equal("core,gateway,worker", up.GetProperty("State").GetProperty("Roles").GetString());
    }

    private static async Task<GridProcess> StartAsync(TestDirectory dir, string name, params string[] extra)
    {
        var host = GridProcess.Start(name,
            ["--data", dir.Sub(name), "--port", FreePorts.Next().ToString(), "--http", $"127.0.0.1:{FreePorts.Next()}", .. extra], Token, dir.Path, verbose: false);
        await host.WaitUntilReadyAsync(Long);
        return host;
    }
}
