using ActorGrid.Cli.Connection;

namespace ActorGrid.Cli.Shell;

// `actorgrid [host:port]` with no command: pbm's prompt. Each line is run like a command line
// (with the --token/--json given at start-up); `history`, `help` and `exit` are the prompt's own.
public sealed class InteractivePrompt(GridTarget target, IReadOnlyList<string> globalArgs, CommandRunner runner)
{
    private readonly List<string> _history = [];

    public async Task<int> RunAsync()
    {
        Console.WriteLine($"actorgrid: talking to the gateway at {target}. Type 'help' for commands, 'history' for what you ran, 'exit' to leave.");
        var editor = new LineEditor(_history);
        // Ctrl-C stops the running command (System.CommandLine cancels it), never the prompt itself.
        Console.CancelKeyPress += (_, e) => e.Cancel = true;
        var prompt = $"[{target}] actorgrid> ";
        while (editor.ReadLine(prompt) is { } line)
        {
            var args = ArgumentSplitter.Split(line);
            if (args.Count == 0) continue;
            _history.Add(line.Trim());
            switch (args[0])
            {
                case "exit" or "quit":
                    return ExitCodes.Ok;
                case "history":
                    for (var i = 0; i < _history.Count; i++) Console.WriteLine($"{i + 1,4}  {_history[i]}");
                    continue;
                case "help":
                    await runner.RunAsync([.. args.Skip(1), "--help"]);
                    continue;
                default:
                    await runner.RunAsync([.. args, .. globalArgs]);
                    continue;
            }
        }
        return ExitCodes.Ok;
    }
}
