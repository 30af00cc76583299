using ActorGrid.Cli.Connection;
using ActorGrid.Cli.Palettes;
using ActorGrid.Cli.Shell;

// actorgrid [host:port] <palette> <command> [options]: the operator CLI. With no command it
// opens an interactive prompt against the same target.
var (target, rest) = args.Length > 0 && !args[0].StartsWith('-') && GridTarget.TryParse(args[0], out var parsed)
    ? (parsed, args[1..])
    : (GridTarget.Default, args);
var runner = new CommandRunner(CommandTree.Build(target, PaletteRegistry.All));
var onlyGlobals = GlobalArgs.Only(rest);
return onlyGlobals is not null
    ? await new InteractivePrompt(target, onlyGlobals, runner).RunAsync()
    : await runner.RunAsync(rest);
