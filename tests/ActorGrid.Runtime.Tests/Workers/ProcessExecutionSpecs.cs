using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker;

namespace ActorGrid.Runtime.Tests.Workers;

// Real processes through /bin/sh. Timeouts are generous and no assertion depends on tight timing,
// so the specs hold on a loaded two-core build machine.
public sealed class ProcessExecutionSpecs : IDisposable
{
    private static readonly IReadOnlyDictionary<string, string> NoEnv = new Dictionary<string, string>();
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "actorgrid-tests", Guid.NewGuid().ToString("n"));

    public ProcessExecutionSpecs() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static ProcessLaunch Sh(string script, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null, TimeSpan? timeout = null) =>
        new(["sh", "-c", script], env ?? NoEnv, workingDirectory, timeout ?? Generous);

    private static Task<ProcessOutcome> Run(ProcessLaunch launch, List<ProcessProgress>? progress = null, CancellationToken cancel = default) =>
        ProcessExecution.RunAsync(launch, _ => { }, p => progress?.Add(p), cancel);

    // A killed child is re-parented and reaped by init; until then it shows as a zombie, which is dead.
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task AssertGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (IsAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.False(IsAlive(pid), $"process {pid} should have been killed");
    }

    [Fact]
    public async Task Should_succeed_and_report_the_pid_when_the_process_exits_zero()
    {
        var started = new List<int>();
        var outcome = await ProcessExecution.RunAsync(Sh("echo hello"), started.Add, _ => { }, CancellationToken.None);

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Null(outcome.Reason);
        Assert.Equal("hello\n", outcome.StdoutTail);
        Assert.Equal("", outcome.StderrTail);
        Assert.NotNull(outcome.Pid);
        Assert.Equal([outcome.Pid.Value], started);
    }

    [Fact]
    public async Task Should_fail_with_the_exit_code_when_the_process_exits_non_zero()
    {
        var outcome = await Run(Sh("echo oops >&2; exit 3"));

        Assert.Equal(AttemptOutcomes.Failed, outcome.Outcome);
        Assert.Equal(3, outcome.ExitCode);
        Assert.Contains("3", outcome.Reason);
        Assert.Equal("oops\n", outcome.StderrTail);
    }

    [Fact]
    public async Task Should_add_env_to_the_inherited_environment_and_use_the_working_directory()
    {
        var env = new Dictionary<string, string> { ["ACTORGRID_SPEC_GREETING"] = "hello world" };
        var outcome = await Run(Sh("""echo "$ACTORGRID_SPEC_GREETING"; echo "${PATH:+inherited-path}"; pwd -P""", env, _dir));

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        var lines = outcome.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["hello world", "inherited-path", new DirectoryInfo(_dir).FullName], lines);
    }

    [Fact]
    public async Task Should_run_in_a_fresh_temp_directory_removed_afterwards_when_none_is_given()
    {
        var first = await Run(Sh("pwd -P; ls -A | wc -l; touch leftover"));
        var second = await Run(Sh("pwd -P; ls -A | wc -l"));

        var firstLines = first.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var secondLines = second.StdoutTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual(firstLines[0], secondLines[0]);
        Assert.Equal("0", secondLines[1].Trim()); // the first run's leftover is not visible
        Assert.False(Directory.Exists(firstLines[0]));
        Assert.False(Directory.Exists(secondLines[0]));
    }

    [Fact]
    public async Task Should_fail_when_the_working_directory_does_not_exist()
    {
        var outcome = await Run(Sh("true", workingDirectory: Path.Combine(_dir, "missing")));

        Assert.Equal(AttemptOutcomes.Failed, outcome.Outcome);
        Assert.Contains("missing", outcome.Reason);
        Assert.Null(outcome.Pid);
    }

    [Fact]
    public async Task Should_report_progress_lines_in_order_and_keep_other_lines_as_output()
    {
        string[] lines =
        [
            """{"progress":0.1}""",
            "plain output",
            """{"progress":0.5,"metrics":{"loss":0.31,"acc":0.7}}""",
            """{"progress":"half"}""",
            """{"progress":0.6""",
            """{"metrics":{"loss":"low"}}""",
            """{"other":1}""",
            """  {"metrics":{"acc":0.9}}  """,
            """{"progress":1}""",
            "done",
        ];
        var progress = new List<ProcessProgress>();
        var outcome = await Run(new ProcessLaunch(["sh", "-c", "printf '%s\\n' \"$@\"", "sh", .. lines], NoEnv, null, Generous), progress);

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.Equal([0.1, 0.5, null, 1.0], progress.Select(p => p.Progress));
        Assert.Null(progress[0].Metrics);
        Assert.Equal(0.31, progress[1].Metrics!["loss"]);
        Assert.Equal(0.7, progress[1].Metrics!["acc"]);
        Assert.Equal(0.9, progress[2].Metrics!["acc"]);
        Assert.Equal(
            "plain output\n{\"progress\":\"half\"}\n{\"progress\":0.6\n{\"metrics\":{\"loss\":\"low\"}}\n{\"other\":1}\ndone\n",
            outcome.StdoutTail);
    }

    [Theory]
    [InlineData("""{"progress":0.25}""", 0.25, null)]
    [InlineData("""{"metrics":{"loss":1.5}}""", null, 1.5)]
    [InlineData("""{"progress":0,"metrics":{"loss":2},"step":7}""", 0.0, 2.0)]
    public void Should_parse_a_progress_line(string line, double? progress, double? loss)
    {
        var parsed = ProcessExecution.TryParseProgress(line);

        Assert.NotNull(parsed);
        Assert.Equal(progress, parsed.Progress);
        Assert.Equal(loss, parsed.Metrics?["loss"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("progress 0.5")]
    [InlineData("{}")]
    [InlineData("{not json}")]
    [InlineData("[0.5]")]
    [InlineData("""{"progress":null}""")]
    [InlineData("""{"progress":1e999}""")]
    [InlineData("""{"metrics":[1,2]}""")]
    [InlineData("""{"metrics":{"loss":{"x":1}}}""")]
    public void Should_not_treat_other_lines_as_progress(string line) =>
        Assert.Null(ProcessExecution.TryParseProgress(line));

    [Fact]
    public async Task Should_keep_only_a_bounded_tail_of_a_large_output_ending_with_the_last_line()
    {
        const string script = """
            yes 'a line of ordinary output, long enough to add up quickly' | head -c 1048576
            echo
            echo the-last-line
            yes 'a line of error output, long enough to add up quickly too' | head -c 1048576 >&2
            echo >&2
            echo the-last-error >&2
            """;
        var outcome = await Run(Sh(script));

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.InRange(Encoding.UTF8.GetByteCount(outcome.StdoutTail), 3000, ProcessExecution.TailBytes);
        Assert.EndsWith("\nthe-last-line\n", outcome.StdoutTail);
        Assert.StartsWith("a line of ordinary output", outcome.StdoutTail); // cut on a line boundary
        Assert.InRange(Encoding.UTF8.GetByteCount(outcome.StderrTail), 3000, ProcessExecution.TailBytes);
        Assert.EndsWith("\nthe-last-error\n", outcome.StderrTail);
        Assert.StartsWith("a line of error output", outcome.StderrTail);
    }

    [Fact]
    public async Task Should_bound_the_tail_of_one_endless_line()
    {
        var outcome = await Run(Sh("head -c 1048576 /dev/zero | tr '\\0' x; printf END"));

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.Equal(ProcessExecution.TailBytes, outcome.StdoutTail.Length);
        Assert.EndsWith("xxxEND", outcome.StdoutTail);
    }

    [Fact]
    public async Task Should_keep_the_tail_within_the_limit_in_utf8_bytes()
    {
        var outcome = await Run(Sh("i=0; while [ $i -lt 2000 ]; do echo \"строка $i ✓\"; i=$((i+1)); done"));

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.InRange(Encoding.UTF8.GetByteCount(outcome.StdoutTail), 2000, ProcessExecution.TailBytes);
        Assert.EndsWith("строка 1999 ✓\n", outcome.StdoutTail);
        Assert.StartsWith("строка ", outcome.StdoutTail);
    }

    [Fact]
    public async Task Should_kill_whole_process_tree_on_timeout()
    {
        var clock = Stopwatch.StartNew();
        var outcome = await Run(Sh("sleep 30 & echo $!; sleep 30", timeout: TimeSpan.FromSeconds(2)));

        Assert.Equal(AttemptOutcomes.TimedOut, outcome.Outcome);
        Assert.Equal("timed out after 2s", outcome.Reason);
        Assert.Null(outcome.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
        var child = int.Parse(outcome.StdoutTail.Trim());
        await AssertGoneAsync(child);
        await AssertGoneAsync(outcome.Pid!.Value);
    }

    [Fact]
    public async Task Should_kill_whole_process_tree_on_cancel()
    {
        using var cancel = new CancellationTokenSource();
        var child = 0;
        var launch = Sh("""sleep 30 & echo "{\"metrics\":{\"child\":$!}}"; sleep 30""");
        var clock = Stopwatch.StartNew();

        var outcome = await ProcessExecution.RunAsync(launch, _ => { }, p =>
        {
            child = (int)p.Metrics!["child"];
            cancel.Cancel();
        }, cancel.Token);

        Assert.Equal(AttemptOutcomes.Cancelled, outcome.Outcome);
        Assert.Null(outcome.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
        Assert.NotEqual(0, child);
        await AssertGoneAsync(child);
        await AssertGoneAsync(outcome.Pid!.Value);
    }

    [Fact]
    public async Task Should_return_when_a_left_behind_child_holds_the_output_open()
    {
        var clock = Stopwatch.StartNew();
        var outcome = await Run(Sh("sleep 60 & echo $!; echo done"));
        var orphan = int.Parse(outcome.StdoutTail.Split('\n')[0]);
        try
        {
            Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
            Assert.EndsWith("done\n", outcome.StdoutTail);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"took {clock.Elapsed}");
        }
        finally
        {
            try
            {
                using var process = Process.GetProcessById(orphan);
                process.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    [Fact]
    public async Task Should_not_start_when_already_cancelled()
    {
        var started = false;
        var outcome = await ProcessExecution.RunAsync(Sh("true"), _ => started = true, _ => { }, new CancellationToken(canceled: true));

        Assert.Equal(AttemptOutcomes.Cancelled, outcome.Outcome);
        Assert.False(started);
        Assert.Null(outcome.Pid);
    }

    [Fact]
    public async Task Should_fail_with_a_reason_when_the_executable_does_not_exist()
    {
        var started = false;
        var outcome = await ProcessExecution.RunAsync(
            new ProcessLaunch(["actorgrid-no-such-program", "--help"], NoEnv, null, Generous), _ => started = true, _ => { }, CancellationToken.None);

        Assert.Equal(AttemptOutcomes.Failed, outcome.Outcome);
        Assert.Equal("could not start 'actorgrid-no-such-program': No such file or directory", outcome.Reason);
        Assert.Null(outcome.ExitCode);
        Assert.Null(outcome.Pid);
        Assert.False(started);
    }

    [Fact]
    public async Task Should_fail_when_the_command_is_empty()
    {
        var outcome = await Run(new ProcessLaunch([], NoEnv, null, Generous));

        Assert.Equal(AttemptOutcomes.Failed, outcome.Outcome);
        Assert.NotNull(outcome.Reason);
    }

    [Fact]
    public async Task Should_give_the_process_an_empty_stdin()
    {
        var outcome = await Run(new ProcessLaunch(["cat"], NoEnv, null, TimeSpan.FromSeconds(60)));

        Assert.Equal(AttemptOutcomes.Succeeded, outcome.Outcome);
        Assert.Equal("", outcome.StdoutTail);
    }

    [Fact]
    public async Task Should_kill_the_process_and_rethrow_when_a_callback_throws()
    {
        var pids = new ConcurrentBag<int>();
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<InvalidOperationException>(() => ProcessExecution.RunAsync(Sh("sleep 30"), pid =>
        {
            pids.Add(pid);
            throw new InvalidOperationException("observer broke");
        }, _ => { }, CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
        await AssertGoneAsync(Assert.Single(pids));
    }
}
