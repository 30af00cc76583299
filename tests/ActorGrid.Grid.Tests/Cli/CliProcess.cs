using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace ActorGrid.Grid.Tests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

// `dotnet ActorGrid.Cli.dll …` as a real process, the way an operator or a script runs it: the
// CLI is a project reference, so the build copies it beside the test assembly.
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process) => _process = process;

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "ActorGrid.Cli.dll");

    public IReadOnlyList<string> Lines => [.. _lines];

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, string? token, string? stdin = null, TimeSpan? timeout = null)
    {
        await using var cli = Start(args, token, stdin);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await cli._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"actorgrid {string.Join(' ', args)} did not exit in time.\n{cli.Result(-1)}");
        }
        return cli.Result(cli._process.ExitCode);
    }

    // A long-running command (tail, watch): lines arrive as it prints them.
    public static CliProcess Start(IEnumerable<string> args, string? token, string? stdin = null)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["COLUMNS"] = "220";
        if (token is null) psi.Environment.Remove("ACTORGRID_ADMIN_TOKEN");
        else psi.Environment["ACTORGRID_ADMIN_TOKEN"] = token;

        var process = new Process { StartInfo = psi };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) cli._lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli._stderr) cli._stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        return cli;
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_lines.FirstOrDefault(predicate) is { } line) return line;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No matching line within {timeout.TotalSeconds:0} s.\n{Result(-1)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private CliResult Result(int exitCode)
    {
        _process.WaitForExit(2000); // let the output readers reach EOF
        lock (_stderr) return new CliResult(exitCode, string.Join('\n', _lines), _stderr.ToString());
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";
}
