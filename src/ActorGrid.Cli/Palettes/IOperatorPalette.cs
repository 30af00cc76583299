using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Output;

namespace ActorGrid.Cli.Palettes;

// The seam between what a command does and how it is invoked. A palette is pbm's word for a
// group of commands ("cluster", "cluster-sharding"). Today Shell/CommandTree turns palettes into
// System.CommandLine commands; when Petabridge.Cmd.Host reaches our registry, one adapter that
// maps each IOperatorCommand's parameters onto a CommandDefinitionBuilder and its RunAsync onto a
// CommandHandlerActor makes the same palettes available inside `pbm` — nothing here changes.
public interface IOperatorPalette
{
    string Name { get; }
    string Description { get; }
    IReadOnlyList<IOperatorCommand> Commands { get; }
}

public interface IOperatorCommand
{
    // One word ("show") or a nested path ("keys rotate").
    string Name { get; }
    string Description { get; }
    IReadOnlyList<OperatorParameter> Parameters { get; }
    Task RunAsync(OperatorInvocation invocation, CancellationToken cancel);
}

public enum ParameterKind
{
    Argument,
    Option,
    Flag,
}

// A positional argument (`<id>`), an option with a value (`--tenant acme`) or a flag (`--all`).
// Allowed limits a value to a fixed set, checked before anything is sent.
public sealed record OperatorParameter(
    string Name, string Description, ParameterKind Kind = ParameterKind.Argument, bool Required = true,
    string? Alias = null, IReadOnlyList<string>? Allowed = null)
{
    public static OperatorParameter Arg(string name, string description) => new(name, description);

    public static OperatorParameter Opt(string name, string description, string? alias = null, bool required = false, IReadOnlyList<string>? allowed = null) =>
        new(name, description, ParameterKind.Option, required, alias, allowed);
}

// One run of one command: its parameter values, the connection and the output.
public sealed record OperatorInvocation(GridClient Client, CommandOutput Output, IReadOnlyDictionary<string, string?> Values)
{
    public string? Value(string name) => Values.GetValueOrDefault(name);

    public string Required(string name) =>
        Value(name) ?? throw new CommandFailedException(ExitCodes.Usage, $"Missing <{name}>; see --help.");
}

// A command defined by a delegate: most commands are one request and one rendering.
public sealed record OperatorCommand(
    string Name, string Description, IReadOnlyList<OperatorParameter> Parameters, Func<OperatorInvocation, CancellationToken, Task> Run) : IOperatorCommand
{
    public Task RunAsync(OperatorInvocation invocation, CancellationToken cancel) => Run(invocation, cancel);
}

public sealed record OperatorPalette(string Name, string Description, IReadOnlyList<IOperatorCommand> Commands) : IOperatorPalette;

// Every palette the CLI ships, in help order: the one place a new palette is registered.
public static class PaletteRegistry
{
    public static IReadOnlyList<IOperatorPalette> All { get; } =
    [
        ClusterPalette.Create(),
        ShardingPalette.Create(),
        NodesPalette.Create(),
        TasksPalette.Create(),
        TenantsPalette.Create(),
        ModelsPalette.Create(),
        AuditPalette.Create(),
    ];
}
