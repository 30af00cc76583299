namespace ActorGrid.Cli.Shell;

// Whether a command line carries nothing but the options that apply to every command
// (--token <t>, --json): then the user asked for the prompt, and those options ride along.
public static class GlobalArgs
{
    public static IReadOnlyList<string>? Only(IReadOnlyList<string> args)
    {
        var globals = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--json") globals.Add(args[i]);
            else if (args[i] == "--token" && i + 1 < args.Count) globals.AddRange([args[i], args[++i]]);
            else if (args[i].StartsWith("--token=", StringComparison.Ordinal)) globals.Add(args[i]);
            else return null;
        }
        return globals;
    }
}
