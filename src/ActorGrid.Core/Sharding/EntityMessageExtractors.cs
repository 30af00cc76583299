using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Akka.Cluster.Sharding;

namespace ActorGrid.Core.Sharding;

// Route by the id each message carries. HashCodeMessageExtractor handles StartEntity and
// ShardingEnvelope itself, so we only name our ids.
public sealed class TaskMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as IWithTaskId)?.TaskId.Value;
}

public sealed class NodeMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as IWithNodeId)?.NodeId.Value;
}

public sealed class TenantMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as IWithTenantId)?.TenantId.Value;
}

// task-intake/<partition>: a fixed number of partitions, each a task's by its id's hash. Fixed
// because a partition's pending submissions live in its journal: changing the count would move
// tasks to partitions that never accepted them (drain the intake first).
public sealed class TaskIntakeMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public const int Partitions = 32;

    public override string? EntityId(object message) =>
        (message as IWithIntakeTask)?.TaskId.Value is { } id ? PartitionOf(id).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

    public static int PartitionOf(string taskId) => (int)((uint)Akka.Util.MurmurHash.StringHash(taskId) % Partitions);
}
