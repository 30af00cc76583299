namespace ActorGrid.Protocol;

// DistributedPubSub topic names, in one place so publishers and subscribers agree.
public static class Topics
{
    public const string NodeStatus = "node-status";
    public const string ClusterEvents = "cluster-events";

    public static string TaskEvents(TenantId tenant) => "task-events." + tenant.Value;
}
