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
