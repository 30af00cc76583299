namespace ActorGrid.Hosting;

// Keys under which Akka.Hosting's ActorRegistry holds the actors other parts need.
// Each is the shard region on core hosts, or a proxy to it elsewhere.
public sealed class TaskRegionKey;

public sealed class NodeRegionKey;

public sealed class TenantRegionKey;

public sealed class TaskIntakeRegionKey;

// The models/<tenant> catalog shards, and the model deployments singleton's proxy: both kept on
// core hosts; workers subscribe to deployments, gateways register and route models.
public sealed class ModelCatalogRegionKey;

public sealed class ModelDeploymentsKey;

// The placement singleton's proxy: valid on every host.
public sealed class PlacementProxyKey;

public sealed class WorkerAgentKey;

public static class WorkerPaths
{
    // Every worker host runs its agent here, so a member address is enough to reach it.
    public const string Agent = "/user/worker";
    public const string AgentName = "worker";
}
