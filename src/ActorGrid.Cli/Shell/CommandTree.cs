using System.CommandLine;
using System.CommandLine.Help;
using ActorGrid.Cli.Certificates;
using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Output;
using ActorGrid.Cli.Palettes;

namespace ActorGrid.Cli.Shell;

// Turns the registered palettes into System.CommandLine commands: `actorgrid <palette> <command>
// [args] [--json] [--token …]`. Each command's action opens a client to the target, runs, and
// maps failures to one line on stderr and an exit code.
public static class CommandTree
{
    public const string TokenVariable = "ACTORGRID_ADMIN_TOKEN";

    public static readonly Option<string?> Token = new("--token")
    {
        Description = $"Operator token (default: ${TokenVariable}).",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOutput = new("--json")
    {
        Description = "Print the gateway's JSON instead of tables (one JSON object per line for tail/watch).",
        Recursive = true,
    };

    public const string Name = "actorgrid";

    // The root is a plain Command named `actorgrid` rather than a RootCommand, whose name is the
    // executable's: `dotnet ActorGrid.Cli.dll --help` would otherwise print "Usage: ActorGrid.Cli …".
    // RootCommand's only other gifts are --help and --version, added here by hand.
    public static Command Build(GridTarget target, IReadOnlyList<IOperatorPalette> palettes)
    {
        var root = new Command(Name,
            "actorgrid: operate an ActorGrid cluster through its gateway, like Petabridge.Cmd's pbm.\n" +
            "Usage: actorgrid [host:port] <palette> <command> [options]   (default 127.0.0.1:8080; no command opens an interactive prompt)\n" +
            ExitCodes.Help);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(Token);
        root.Options.Add(JsonOutput);
        foreach (var palette in palettes)
        {
            var paletteCommand = new Command(palette.Name, palette.Description);
            foreach (var command in palette.Commands) Add(paletteCommand, command, target);
            root.Subcommands.Add(paletteCommand);
        }
        // Local work on the operator's machine, not a gateway call.
        root.Subcommands.Add(CertsCommand.Build());
        return root;
    }

    private static void Add(Command parent, IOperatorCommand command, GridTarget target)
    {
        var words = command.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var word in words[..^1])
        {
            var group = parent.Subcommands.FirstOrDefault(c => c.Name == word);
            if (group is null)
            {
                group = new Command(word);
                parent.Subcommands.Add(group);
            }
            parent = group;
        }
        var cli = new Command(words[^1], command.Description);
        if (words.Length > 1) parent.Description = $"Commands: {string.Join(", ", parent.Subcommands.Select(c => c.Name).Append(cli.Name))}.";
        var readers = new List<(string Name, Func<ParseResult, string?> Read)>();
        foreach (var p in command.Parameters)
        {
            switch (p.Kind)
            {
                case ParameterKind.Argument:
                {
                    var argument = new Argument<string>(p.Name) { Description = p.Description };
                    if (!p.Required) argument.Arity = ArgumentArity.ZeroOrOne;
                    if (p.Allowed is { } allowed) argument.AcceptOnlyFromAmong([.. allowed]);
                    cli.Arguments.Add(argument);
                    readers.Add((p.Name, r => r.GetValue(argument)));
                    break;
                }
                case ParameterKind.Option:
                {
                    var option = p.Alias is null ? new Option<string>("--" + p.Name) : new Option<string>("--" + p.Name, p.Alias);
                    option.Description = p.Description;
                    option.Required = p.Required;
                    if (p.Allowed is { } allowed) option.AcceptOnlyFromAmong([.. allowed]);
                    cli.Options.Add(option);
                    readers.Add((p.Name, r => r.GetValue(option)));
                    break;
                }
                case ParameterKind.Flag:
                {
                    var flag = p.Alias is null ? new Option<bool>("--" + p.Name) : new Option<bool>("--" + p.Name, p.Alias);
                    flag.Description = p.Description;
                    cli.Options.Add(flag);
                    readers.Add((p.Name, r => r.GetValue(flag) ? "true" : null));
                    break;
                }
            }
        }
        cli.SetAction(async (result, cancel) =>
        {
            var values = readers.ToDictionary(r => r.Name, r => r.Read(result));
            var token = result.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            using var client = new GridClient(target, token);
            try
            {
                await command.RunAsync(new OperatorInvocation(client, new CommandOutput(result.GetValue(JsonOutput), Console.Out), values), cancel);
                return ExitCodes.Ok;
            }
            catch (CommandFailedException ex)
            {
                await Console.Error.WriteLineAsync("actorgrid: " + ex.Message);
                return ex.ExitCode;
            }
        });
        parent.Subcommands.Add(cli);
    }
}
