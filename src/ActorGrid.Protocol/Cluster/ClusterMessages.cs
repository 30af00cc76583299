namespace ActorGrid.Protocol.Cluster;

// Published on the cluster-events topic whenever membership or reachability changes.
public sealed record MembershipChanged(string Member, string Status, IReadOnlyList<string> Roles, string Change, DateTimeOffset At) : IActorGridMessage;
