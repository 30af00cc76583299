using System.CommandLine;
using System.Text.RegularExpressions;
using ActorGrid.Cli.Connection;

namespace ActorGrid.Cli.Shell;

// Runs one command line against the command tree. Parse errors are usage errors (exit 2) with
// one line that points at the right --help, instead of System.CommandLine's default exit 1.
public sealed partial class CommandRunner(Command root)
{
    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancel = default)
    {
        var parsed = root.Parse([.. args]);
        if (parsed.Errors.Count > 0)
        {
            var path = string.Join(' ', CommandPath(parsed.CommandResult.Command));
            // One line, so a script's log shows the whole reason.
            var reasons = Whitespace().Replace(string.Join(" ", parsed.Errors.Select(e => e.Message.TrimEnd('.') + ".")), " ");
            await Console.Error.WriteLineAsync($"actorgrid: {reasons} Run 'actorgrid {(path.Length > 0 ? path + " " : "")}--help'.");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(cancellationToken: cancel);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private IEnumerable<string> CommandPath(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c.Name);
        return names;
    }
}
