namespace ActorGrid.Protocol;

// DistributedPubSub topic names, in one place so publishers and subscribers agree.
public static class Topics
{
    public const string NodeStatus = "node-status";
    public const string ClusterEvents = "cluster-events";

    // Every task event of every tenant: for operators' views (metrics, dashboard), never tenants'.
    public const string AllTaskEvents = "task-events";

    // Every metric line of every running attempt (TaskMetricsSampled), for the gateways' metric
    // writers; tenants read them back from the store, never from the topic.
    public const string TaskMetrics = "task-metrics";

    // Every placement decision, with the winner and the reason.
    public const string PlacementDecisions = "placement-decisions";

    public static string TaskEvents(TenantId tenant) => "task-events." + tenant.Value;
}
