using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Runtime.Tests.Tasks;

public static class TaskSamples
{
    public static readonly TenantId Acme = new("acme");
    public static readonly TenantId Other = new("other");
    public static readonly NodeId Edge = new("edge-1");

    public static TaskSpec Spec(int maxAttempts = 3) => new(
        TaskKinds.Process, ["sh", "-c", "echo hi"], new Dictionary<string, string>(), null, 60,
        new ResourceRequirements(1, 128), Lanes.Batch, maxAttempts, ["CN-ZJ"]);

    public static SubmitTask Submit(TaskId id, int maxAttempts = 3, string? key = null) =>
        new(id, Acme, Spec(maxAttempts), TenantQuota.Default, key);
}
