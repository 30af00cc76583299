using ActorGrid.Protocol.Cluster;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Bundles;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Protocol.Workers;

namespace ActorGrid.Protocol.Serialization;

// The stable wire and journal name of every message. A manifest, once shipped, never changes:
// renaming a C# type is fine, renaming its manifest would orphan every event already written.
public static class ProtocolManifests
{
    public static readonly IReadOnlyDictionary<string, Type> ByManifest = new Dictionary<string, Type>
    {
        // task/<id>
        ["task.submitted"] = typeof(TaskSubmitted),
        ["task.queued"] = typeof(TaskQueued),
        ["task.placed"] = typeof(TaskPlaced),
        ["task.started"] = typeof(TaskStarted),
        ["task.progressed"] = typeof(TaskProgressed),
        ["task.attempt-ended"] = typeof(TaskAttemptEnded),
        ["task.attempt-recounted"] = typeof(TaskAttemptRecounted),
        ["task.succeeded"] = typeof(TaskSucceeded),
        ["task.failed"] = typeof(TaskFailed),
        ["task.cancelled"] = typeof(TaskCancelled),
        ["task.spend-settled"] = typeof(TaskSpendSettled),
        ["task.checkpoint-saved"] = typeof(TaskCheckpointSaved),
        ["task.report-checkpoint"] = typeof(ReportTaskCheckpoint),
        ["task.submit"] = typeof(SubmitTask),
        ["task.cancel"] = typeof(CancelTask),
        ["task.wake"] = typeof(WakeTask),
        ["task.assign"] = typeof(AssignTask),
        ["task.report-node-lost"] = typeof(ReportNodeLost),
        ["task.placement-waiting"] = typeof(ReportPlacementWaiting),
        ["task.refuse-placement"] = typeof(RefusePlacement),
        ["task.report-started"] = typeof(ReportTaskStarted),
        ["task.report-progress"] = typeof(ReportTaskProgress),
        ["task.report-exited"] = typeof(ReportTaskExited),
        ["task.report-acked"] = typeof(TaskRunReportAcked),
        ["task.get"] = typeof(GetTask),
        ["task.get-history"] = typeof(GetTaskHistory),
        ["task.accepted"] = typeof(TaskAccepted),
        ["task.rejected"] = typeof(TaskRejected),
        ["task.idempotency-conflict"] = typeof(TaskIdempotencyConflict),
        ["task.not-found"] = typeof(TaskNotFound),
        ["task.view"] = typeof(TaskView),
        ["task.history"] = typeof(TaskHistory),
        ["task.event-published"] = typeof(TaskEventPublished),
        ["task.state"] = typeof(TaskSnapshot),
        ["task.model-registered"] = typeof(TaskModelRegistered),
        ["task.model-deployed"] = typeof(TaskModelDeployed),
        ["task.model-not-deployed"] = typeof(TaskModelNotDeployed),
        ["task.metrics-sampled"] = typeof(TaskMetricsSampled),
        ["task.gang-rendezvous"] = typeof(TaskGangRendezvous),
        ["task.report-gang-rendezvous"] = typeof(ReportGangRendezvous),

        // node/<id>
        ["node.report-status"] = typeof(ReportNodeStatus),
        ["node.cordon"] = typeof(CordonNode),
        ["node.uncordon"] = typeof(UncordonNode),
        ["node.drain"] = typeof(DrainNode),
        ["node.mark-lost"] = typeof(MarkNodeLost),
        ["node.get"] = typeof(GetNode),
        ["node.registered"] = typeof(NodeRegistered),
        ["node.cordoned"] = typeof(NodeCordoned),
        ["node.uncordoned"] = typeof(NodeUncordoned),
        ["node.drain-started"] = typeof(NodeDrainStarted),
        ["node.lost"] = typeof(NodeLost),
        ["node.view"] = typeof(NodeView),
        ["node.command-rejected"] = typeof(NodeCommandRejected),
        ["node.status-published"] = typeof(NodeStatusPublished),
        ["node.state"] = typeof(NodeSnapshot),

        // tenant/<id>
        ["tenant.create"] = typeof(CreateTenant),
        ["tenant.authenticate"] = typeof(AuthenticateTenant),
        ["tenant.record-task"] = typeof(RecordTenantTask),
        ["tenant.get"] = typeof(GetTenant),
        ["tenant.list-tasks"] = typeof(ListTenantTasks),
        ["tenant.created"] = typeof(TenantCreated),
        ["tenant.api-key-issued"] = typeof(TenantApiKeyIssued),
        ["tenant.task-recorded"] = typeof(TenantTaskRecorded),
        ["tenant.spend-recorded"] = typeof(TenantSpendRecorded),
        ["tenant.record-spend"] = typeof(RecordTenantSpend),
        ["tenant.spend-acked"] = typeof(TenantSpendAcked),
        ["tenant.view"] = typeof(TenantView),
        ["tenant.created-reply"] = typeof(TenantCreatedReply),
        ["tenant.already-exists"] = typeof(TenantAlreadyExists),
        ["tenant.not-found"] = typeof(TenantNotFound),
        ["tenant.authenticated"] = typeof(TenantAuthenticated),
        ["tenant.authentication-failed"] = typeof(TenantAuthenticationFailed),
        ["tenant.task-recorded-ack"] = typeof(TenantTaskRecordedAck),
        ["tenant.task-list"] = typeof(TenantTaskList),
        ["tenant.state"] = typeof(TenantSnapshot),
        ["tenant.rotate-api-key"] = typeof(RotateTenantApiKey),
        ["tenant.set-quota"] = typeof(SetTenantQuota),
        ["tenant.api-keys-revoked"] = typeof(TenantApiKeysRevoked),
        ["tenant.quota-changed"] = typeof(TenantQuotaChanged),
        ["tenant.api-key-rotated"] = typeof(TenantApiKeyRotated),
        ["tenant.set-limits"] = typeof(SetTenantLimits),
        ["tenant.limits-changed"] = typeof(TenantLimitsChanged),
        ["tenant.queue-full"] = typeof(TenantQueueFull),
        ["tenant.budget-exceeded"] = typeof(TenantBudgetExceeded),
        ["tenant.close-task"] = typeof(CloseTenantTask),
        ["tenant.task-closed"] = typeof(TenantTaskClosed),
        ["tenant.task-closed-ack"] = typeof(TenantTaskClosedAck),

        // placement and workers
        ["placement.request"] = typeof(RequestPlacement),
        ["placement.release"] = typeof(ReleasePlacement),
        ["placement.get-nodes"] = typeof(GetNodes),
        ["placement.node-list"] = typeof(NodeList),
        ["placement.get-queue"] = typeof(GetPlacementQueue),
        ["placement.queue"] = typeof(PlacementQueueView),
        ["placement.decided"] = typeof(PlacementDecided),
        ["placement.call-for-bids"] = typeof(CallForBids),
        ["placement.bid-submitted"] = typeof(BidSubmitted),
        ["placement.bid-declined"] = typeof(BidDeclined),
        ["placement.award"] = typeof(AwardTask),
        ["placement.award-accepted"] = typeof(AwardAccepted),
        ["placement.award-refused"] = typeof(AwardRefused),
        ["worker.start-run"] = typeof(StartTaskRun),
        ["worker.cancel-run"] = typeof(CancelTaskRun),
        ["worker.confirm-run"] = typeof(ConfirmTaskRun),
        ["worker.lease-renewed"] = typeof(LeaseRenewed),
        ["worker.fetch-checkpoint"] = typeof(FetchCheckpoint),
        ["worker.checkpoint-chunk"] = typeof(CheckpointChunk),
        ["worker.checkpoint-missing"] = typeof(CheckpointMissing),
        ["worker.copy-checkpoint"] = typeof(CopyCheckpoint),
        ["worker.checkpoint-copied"] = typeof(CheckpointCopied),
        ["worker.checkpoint-copy-failed"] = typeof(CheckpointCopyFailed),
        ["worker.forget-checkpoints"] = typeof(ForgetCheckpoints),

        // models/<tenant> and model blobs
        ["model.register-version"] = typeof(RegisterModelVersion),
        ["model.delete-version"] = typeof(DeleteModelVersion),
        ["model.get-catalog"] = typeof(GetModelCatalog),
        ["model.get-version"] = typeof(GetModelVersion),
        ["model.version-registered"] = typeof(ModelVersionRegistered),
        ["model.version-deleted"] = typeof(ModelVersionDeleted),
        ["model.version-view"] = typeof(ModelVersionView),
        ["model.version-accepted"] = typeof(ModelVersionAccepted),
        ["model.catalog-view"] = typeof(ModelCatalogView),
        ["model.version-not-found"] = typeof(ModelVersionNotFound),
        ["model.version-removed"] = typeof(ModelVersionRemoved),
        ["model.catalog-state"] = typeof(ModelCatalogSnapshot),
        ["model.fetch-blob"] = typeof(FetchModelBlob),
        ["model.blob-chunk"] = typeof(ModelBlobChunk),
        ["model.blob-missing"] = typeof(ModelBlobMissing),
        ["bundle.fetch"] = typeof(FetchBundle),
        ["bundle.chunk"] = typeof(BundleChunk),
        ["bundle.missing"] = typeof(BundleMissing),
        ["model.copy-blob"] = typeof(CopyModelBlob),
        ["model.blob-copied"] = typeof(ModelBlobCopied),
        ["model.blob-copy-failed"] = typeof(ModelBlobCopyFailed),
        ["model.deploy"] = typeof(DeployModel),
        ["model.undeploy"] = typeof(UndeployModel),
        ["model.get-deployments"] = typeof(GetModelDeployments),
        ["model.deployed"] = typeof(ModelDeployed),
        ["model.undeployed"] = typeof(ModelUndeployed),
        ["model.deployments"] = typeof(ModelDeployments),
        ["model.deployments-state"] = typeof(ModelDeploymentsSnapshot),
        ["model.deployment-accepted"] = typeof(ModelDeploymentAccepted),
        ["model.undeploy-accepted"] = typeof(ModelUndeployAccepted),

        // inference
        ["inference.run"] = typeof(RunInference),
        ["inference.succeeded"] = typeof(InferenceSucceeded),
        ["inference.rejected"] = typeof(InferenceRejected),
        ["inference.preload"] = typeof(PreloadModel),
        ["inference.host-status"] = typeof(InferenceHostStatus),

        // cluster
        ["cluster.membership-changed"] = typeof(MembershipChanged),
    };

    public static readonly IReadOnlyDictionary<Type, string> ByType =
        ByManifest.ToDictionary(pair => pair.Value, pair => pair.Key);
}
