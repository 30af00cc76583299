using ActorGrid.Node;

// ActorGrid.Node: one binary for every host. With no options it starts the embedded grid.
return await NodeCommandLine.Build().Parse(args).InvokeAsync();
