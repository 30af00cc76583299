using ActorGrid.Bench;

// Starts a real embedded grid (or one benchmark, by subcommand) and prints what it measures.
// Figures, never assertions: the machines are shared and noisy, so speed is reported here rather
// than tested. The command line is BenchCommandLine's; `--help` lists it.
return await BenchCommandLine.RunAsync(args);
