namespace ActorGrid.Gateway;

// What the gateway needs beyond the actor system: the operator token and its request limits.
public sealed record GatewayOptions(string AdminToken, long MaxBodyBytes, TimeSpan AskTimeout);
